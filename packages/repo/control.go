package repo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// field is one field of a deb822 paragraph. value holds everything after the
// colon with the first line's leading blanks removed; continuation lines keep
// their leading blank and are joined with "\n".
type field struct {
	name, value string
}

// paragraph is one deb822 stanza, such as a .deb's control file.
type paragraph []field

// get returns the value of the named field (case-insensitive), or "".
func (p paragraph) get(name string) string {
	for _, f := range p {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// parseParagraph reads the first paragraph of r. Trailing blanks and CRs are
// stripped from every line, like dpkg does.
func parseParagraph(r *bufio.Reader) (paragraph, error) {
	var p paragraph
	for {
		line, err := r.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		line = strings.TrimRight(line, " \t\r\n")
		switch {
		case line == "" && len(p) > 0, line == "" && err == io.EOF:
			if len(p) == 0 {
				return nil, errors.New("empty paragraph")
			}
			return p, nil
		case line == "", line[0] == '#':
		case line[0] == ' ' || line[0] == '\t':
			if len(p) == 0 {
				return nil, fmt.Errorf("continuation line %q before any field", line)
			}
			p[len(p)-1].value += "\n" + line
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || name == "" || strings.ContainsAny(name, " \t") {
				return nil, fmt.Errorf("malformed line %q", line)
			}
			p = append(p, field{name: name, value: strings.TrimLeft(value, " \t")})
		}
		if err == io.EOF && len(p) > 0 {
			return p, nil
		}
	}
}

// packagesFieldOrder is the field order dpkg-scanpackages writes in a
// Packages index (Dpkg::Control::FieldsCore, CTRL_INDEX_PKG).
var packagesFieldOrder = []string{
	"package", "package-type", "source", "version", "kernel-version",
	"built-for-profiles", "auto-built-package", "architecture",
	"subarchitecture", "installer-menu-item", "build-essential", "essential",
	"protected", "origin", "bugs", "maintainer", "installed-size",
	"pre-depends", "depends", "recommends", "suggests", "enhances",
	"conflicts", "breaks", "replaces", "provides", "built-using",
	"static-built-using", "filename", "size", "md5sum", "sha1", "sha256",
	"section", "priority", "multi-arch", "homepage", "description", "tag",
	"task",
}

// ordered returns p's fields sorted into the order dpkg uses for Packages
// indexes; fields dpkg does not know keep their relative order at the end.
func (p paragraph) ordered() paragraph {
	rank := func(f field) int {
		if i := slices.Index(packagesFieldOrder, strings.ToLower(f.name)); i >= 0 {
			return i
		}
		return len(packagesFieldOrder)
	}
	out := slices.Clone(p)
	slices.SortStableFunc(out, func(a, b field) int { return rank(a) - rank(b) })
	return out
}

// without returns p minus the named fields (case-insensitive).
func (p paragraph) without(names ...string) paragraph {
	return slices.DeleteFunc(slices.Clone(p), func(f field) bool {
		return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, f.name) })
	})
}

// writeTo appends p to buf as a stanza ending in a blank line.
func (p paragraph) writeTo(buf *bytes.Buffer) {
	for _, f := range p {
		buf.WriteString(f.name)
		buf.WriteByte(':')
		if f.value != "" && f.value[0] != '\n' {
			buf.WriteByte(' ')
		}
		buf.WriteString(f.value)
		buf.WriteByte('\n')
	}
	buf.WriteByte('\n')
}
