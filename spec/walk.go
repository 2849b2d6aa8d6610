package spec

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// pos is a position in a YAML file.
type pos struct{ line, col int }

// walker checks a YAML node tree against a Go type before decoding, so
// that every unknown field, wrong type and duplicate key is reported at
// once with its line and column, and records where each path is.
//
// Nodes with structural errors are pruned from the tree (the field becomes
// absent) and their paths remembered, so that the document can still be
// decoded and checked semantically without repeating the same problem.
type walker struct {
	file      string
	report    *Report
	positions map[string]pos
	bad       map[string]bool
}

func newWalker(file string, r *Report) *walker {
	return &walker{file: file, report: r, positions: map[string]pos{}, bad: map[string]bool{}}
}

func (w *walker) errorf(n *yaml.Node, path, format string, args ...any) {
	w.bad[path] = true
	w.report.add(Problem{Severity: Error, File: w.file, Line: n.Line, Column: n.Column,
		Path: path, Message: fmt.Sprintf(format, args...)})
}

// walkFields walks the key/value pairs of a mapping and drops the pairs
// whose key or value had a structural error.
func (w *walker) walkFields(n *yaml.Node, check func(k, v *yaml.Node) (sub string, ok bool)) {
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub, ok := check(k, v)
		if ok && !w.bad[sub] {
			kept = append(kept, k, v)
		}
	}
	n.Content = kept
}

// walk checks node n against type t at the given field path.
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	w.positions[path] = pos{n.Line, n.Column}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // absent: defaults and validation deal with it
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		w.walkStruct(n, t, path)
	case reflect.Slice:
		w.walkSlice(n, t, path)
	case reflect.Map:
		w.walkMap(n, t, path)
	case reflect.Interface:
		// free-form (e.g. kubelet configuration overrides): checked by its consumer
	case reflect.String:
		w.walkScalar(n, path, "!!str", "a string")
	case reflect.Bool:
		w.walkScalar(n, path, "!!bool", "true or false")
	case reflect.Int, reflect.Int64, reflect.Uint32, reflect.Uint64:
		w.walkScalar(n, path, "!!int", "an integer")
	default:
		panic(fmt.Sprintf("spec: walker does not handle %s", t))
	}
}

func (w *walker) walkScalar(n *yaml.Node, path, tag, want string) {
	if n.Kind != yaml.ScalarNode {
		w.errorf(n, path, "must be %s, not %s", want, kindName(n))
		return
	}
	if n.Tag == tag {
		return
	}
	if tag == "!!str" && (n.Tag == "!!float" || n.Tag == "!!int" || n.Tag == "!!bool") {
		w.errorf(n, path, "must be a string, not %s %s: quote it (%q)", tagName(n.Tag), n.Value, n.Value)
		return
	}
	w.errorf(n, path, "must be %s, not %s %q", want, tagName(n.Tag), n.Value)
}

func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.errorf(n, path, "must be a mapping of fields, not %s", kindName(n))
		return
	}
	fields := jsonFields(t)
	seen := map[string]bool{}
	w.walkFields(n, func(k, v *yaml.Node) (string, bool) {
		sub := join(path, k.Value)
		if seen[k.Value] {
			w.report.add(Problem{Severity: Error, File: w.file, Line: k.Line, Column: k.Column,
				Path: sub, Message: fmt.Sprintf("duplicate field %q", k.Value)})
			return sub, false
		}
		seen[k.Value] = true
		f, ok := fields[k.Value]
		if !ok {
			w.errorf(k, sub, "unknown field %q%s", k.Value, suggest(k.Value, fields))
			return sub, false
		}
		w.walk(v, f.Type, sub)
		return sub, true
	})
}

func (w *walker) walkSlice(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.SequenceNode {
		w.errorf(n, path, "must be a list, not %s", kindName(n))
		return
	}
	for i, item := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		w.walk(item, t.Elem(), sub)
		if w.bad[sub] {
			// Keep the index stable for the paths of later items.
			n.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: item.Line, Column: item.Column}
		}
	}
}

func (w *walker) walkMap(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.errorf(n, path, "must be a mapping, not %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	w.walkFields(n, func(k, v *yaml.Node) (string, bool) {
		sub := join(path, k.Value)
		if k.Tag != "!!str" {
			w.errorf(k, sub, "key must be a string, not %s %s", tagName(k.Tag), k.Value)
			return sub, false
		}
		if seen[k.Value] {
			w.report.add(Problem{Severity: Error, File: w.file, Line: k.Line, Column: k.Column,
				Path: sub, Message: fmt.Sprintf("duplicate key %q", k.Value)})
			return sub, false
		}
		seen[k.Value] = true
		w.walk(v, t.Elem(), sub)
		return sub, true
	})
}

// jsonFields maps the JSON names of t's exported fields to the fields.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

// suggest proposes a known field close to an unknown one.
func suggest(name string, fields map[string]reflect.StructField) string {
	best, bestD := "", 3
	for f := range fields {
		if d := distance(strings.ToLower(name), strings.ToLower(f)); d < bestD || (d == bestD && f < best) {
			best, bestD = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein edit distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	if strings.ContainsAny(key, ".[]") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return tagName(n.Tag) + " " + strconv.Quote(n.Value)
	}
}

func tagName(tag string) string {
	switch tag {
	case "!!str":
		return "string"
	case "!!int":
		return "integer"
	case "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	}
	return strings.TrimPrefix(tag, "!!")
}
