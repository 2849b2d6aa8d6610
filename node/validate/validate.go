// Package validate is slipway's conformance checks (the 2016 SIG notes'
// levels): Node checks a node's own disk and configuration, Cluster
// checks a running cluster read-only through its kube-apiserver. Each
// returns a table of checks that pass, fail or are skipped (with why);
// the commands exit non-zero when one fails.
package validate

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Check outcomes.
const (
	Pass = "pass"
	Fail = "FAIL"
	Skip = "skip"
)

// Check is one row of a report.
type Check struct {
	Name   string `json:"name"`
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// Report is the outcome of one validation level.
type Report struct {
	Level  string  `json:"level"`
	Checks []Check `json:"checks"`
}

// OK reports whether no check failed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Result == Fail {
			return false
		}
	}
	return true
}

func (r *Report) add(name string, err error, detail string) {
	c := Check{Name: name, Result: Pass, Detail: detail}
	if err != nil {
		c.Result, c.Detail = Fail, err.Error()
	}
	r.Checks = append(r.Checks, c)
}

func (r *Report) skip(name, why string) {
	r.Checks = append(r.Checks, Check{Name: name, Result: Skip, Detail: why})
}

// Print writes the report as a table and a verdict line.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL")
	failed := 0
	for _, c := range r.Checks {
		if c.Result == Fail {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Result, c.Detail)
	}
	tw.Flush()
	if failed == 0 {
		fmt.Fprintf(w, "validate %s: pass (%d checks)\n", r.Level, len(r.Checks))
	} else {
		fmt.Fprintf(w, "validate %s: FAIL (%d of %d checks failed)\n", r.Level, failed, len(r.Checks))
	}
}
