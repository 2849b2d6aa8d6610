package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// LoadRelease reads the kind: Release document from a YAML file that may
// hold several documents. It returns the release and a report holding
// every problem found; err is an *InvalidError when the report has errors.
// Warnings alone leave err nil.
func LoadRelease(path string) (*Release, *Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading spec: %w", err)
	}
	return ParseRelease(path, data)
}

// ParseRelease is LoadRelease on bytes; file names the source in problems
// and anchors relative paths.
func ParseRelease(file string, data []byte) (*Release, *Report, error) {
	r := &Release{file: file}
	report, err := parseDocument(file, data, KindRelease, r, func(v *validator) { v.release(r) })
	if err != nil {
		return nil, report, err
	}
	return r, report, nil
}

// parseDocument finds the document of kind in data, checks its structure
// against out's type, decodes it into out and runs check on it. Every
// problem lands in the returned report; err is an *InvalidError when the
// report has errors.
func parseDocument(file string, data []byte, kind string, out any, check func(*validator)) (*Report, error) {
	report := &Report{}
	node := findDocument(file, data, kind, report)
	if node == nil {
		return report, &InvalidError{Report: report}
	}
	w := newWalker(file, report)
	w.walk(node, reflect.TypeOf(out).Elem(), "")
	if err := decode(node, out); err != nil {
		if report.IsFatal() {
			report.sort()
			return report, &InvalidError{Report: report}
		}
		return report, fmt.Errorf("decoding %s: %w", file, err)
	}
	check(&validator{file: file, report: report, positions: w.positions, bad: w.bad})
	report.sort()
	if report.IsFatal() {
		return report, &InvalidError{Report: report}
	}
	return report, nil
}

// yamlLine finds the line number in yaml.v3's syntax error messages.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// findDocument returns the first document of the given kind in data, or
// nil with the reason in report.
func findDocument(file string, data []byte, kind string, report *Report) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var kinds []string
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p := Problem{Severity: Error, File: file, Message: "parsing YAML: " + err.Error()}
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				p.Line, _ = strconv.Atoi(m[1])
				p.Column = 1
			}
			report.add(p)
			return nil
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		k := scalarField(root, "kind")
		if k == kind {
			return root
		}
		kinds = append(kinds, strconv.Quote(k))
	}
	msg := fmt.Sprintf("no document with kind: %s", kind)
	if len(kinds) > 0 {
		msg += fmt.Sprintf(" (found kinds %v)", kinds)
	}
	report.add(Problem{Severity: Error, File: file, Message: msg})
	return nil
}

// scalarField returns the value of a top-level scalar key of a mapping.
func scalarField(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// decode converts a checked node into v through JSON, so the json tags
// that generate the schema are the only field names.
func decode(n *yaml.Node, v any) error {
	var generic any
	if err := n.Decode(&generic); err != nil {
		return err
	}
	b, err := json.Marshal(generic)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// DocumentKinds lists the kinds of the documents in data, in order, for
// commands that handle every slipway document of a file. Malformed YAML
// yields the kinds found before the error.
func DocumentKinds(data []byte) []string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var kinds []string
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return kinds
		}
		if len(doc.Content) > 0 {
			kinds = append(kinds, scalarField(doc.Content[0], "kind"))
		}
	}
}
