package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a Problem blocks the build.
type Severity int

const (
	// Error makes a document invalid.
	Error Severity = iota
	// Warning is reported but does not block the build.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Problem is one finding in a document, located by file, line, column and
// field path (spec.components[1].sources.amd64.url), like Ignition's reports.
type Problem struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
}

// String formats the problem as "file:line:col: severity: path: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Severity.String())
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Report collects every problem found in a document.
type Report struct {
	Problems []Problem `json:"problems"`
}

// IsFatal reports whether any problem is an error.
func (r *Report) IsFatal() bool {
	for _, p := range r.Problems {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the problems of severity Error.
func (r *Report) Errors() []Problem { return r.filter(Error) }

// Warnings returns only the problems of severity Warning.
func (r *Report) Warnings() []Problem { return r.filter(Warning) }

func (r *Report) filter(s Severity) []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

func (r *Report) add(p Problem) { r.Problems = append(r.Problems, p) }

// sort orders problems by position so output follows the file.
func (r *Report) sort() {
	sort.SliceStable(r.Problems, func(i, j int) bool {
		a, b := r.Problems[i], r.Problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// String renders one problem per line.
func (r *Report) String() string {
	var lines []string
	for _, p := range r.Problems {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

// InvalidError is returned by loaders when a document has errors. Callers
// map it to exit status 2.
type InvalidError struct {
	Report *Report
}

func (e *InvalidError) Error() string {
	n := len(e.Report.Errors())
	noun := "problems"
	if n == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("invalid spec (%d %s):\n%s", n, noun, e.Report.String())
}
