package health

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Check kinds, as CheckResult.Kind names them.
const (
	KindUnit = "unit"
	KindHTTP = "http"
	KindFile = "file"
)

// Prober looks at the node. SystemProber is the real one.
type Prober interface {
	// Unit returns the unit's state: systemd's ActiveState ("active",
	// "failed", "inactive", "activating", ...), optionally followed by a
	// space and details in parentheses, e.g. "failed (failed, result
	// exit-code)". The unit passes when the ActiveState is "active".
	Unit(ctx context.Context, name string) (state string, err error)
	// HTTP returns nil when the endpoint answers with the check's status.
	HTTP(ctx context.Context, c HTTPCheck) error
	// File returns nil when the file exists.
	File(name string) error
}

// Result is the outcome of a Run.
type Result struct {
	// Passed is set when every check passed before the deadline.
	Passed bool `json:"passed"`
	// Time is when the outcome was known: all checks passed, the deadline
	// passed, or ctx was cancelled.
	Time time.Time `json:"time"`
	// Duration is how long the run took, e.g. "12.3s".
	Duration string `json:"duration"`
	// Rounds is how many times the checks were polled.
	Rounds int `json:"rounds"`
	// Stopped says why the run ended before its deadline without passing
	// (ctx cancelled, e.g. the unit stopped at shutdown).
	Stopped string `json:"stopped,omitempty"`
	// Checks are every check's last outcome: units, then HTTP, then files,
	// each in Config order.
	Checks []CheckResult `json:"checks"`
	// Entry and Version are the booted boot entry's file name and OS
	// version; Run leaves them empty for the caller to fill in.
	Entry   string `json:"entry,omitempty"`
	Version string `json:"version,omitempty"`
}

// CheckResult is one check's outcome.
type CheckResult struct {
	// Kind is KindUnit, KindHTTP or KindFile.
	Kind string `json:"kind"`
	// Name is the unit name, URL or file path.
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Detail says what was seen: a unit's state ("active (running)",
	// "failed (failed, result exit-code)"), an HTTP status or error, a
	// file's absence.
	Detail string `json:"detail,omitempty"`
}

// Run polls every check of c through p every c.Interval until all pass
// in the same round or c.Deadline has passed (then one last round runs at
// the deadline), or ctx is cancelled. Every round runs all checks
// concurrently, so one slow endpoint does not delay the others; now
// stamps the result and measures the deadline. A Config without checks
// passes at once; a zero Interval means DefaultInterval, a zero Deadline
// a single round.
func Run(ctx context.Context, c Config, p Prober, now func() time.Time) Result {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	start := now()
	deadline := start.Add(c.Deadline)
	res := Result{}
	for {
		res.Rounds++
		res.Checks = poll(ctx, c, p)
		res.Passed = allPassed(res.Checks)
		wait := min(c.Interval, deadline.Sub(now()))
		if res.Passed || wait <= 0 || !sleep(ctx, wait) {
			break
		}
	}
	if !res.Passed && ctx.Err() != nil {
		res.Stopped = ctx.Err().Error()
	}
	res.Time = now()
	res.Duration = res.Time.Sub(start).Round(time.Millisecond).String()
	return res
}

// poll runs every check once, concurrently, and returns the outcomes in
// Config order.
func poll(ctx context.Context, c Config, p Prober) []CheckResult {
	var probes []func() CheckResult
	for _, u := range c.Units {
		probes = append(probes, func() CheckResult { return unitCheck(ctx, p, u) })
	}
	for _, h := range c.HTTP {
		probes = append(probes, func() CheckResult { return httpCheck(ctx, p, h) })
	}
	for _, f := range c.Files {
		probes = append(probes, func() CheckResult { return fileCheck(p, f) })
	}
	out := make([]CheckResult, len(probes))
	var wg sync.WaitGroup
	for i, probe := range probes {
		wg.Go(func() { out[i] = probe() })
	}
	wg.Wait()
	return out
}

func unitCheck(ctx context.Context, p Prober, name string) CheckResult {
	state, err := p.Unit(ctx, name)
	if err != nil {
		return CheckResult{Kind: KindUnit, Name: name, Detail: err.Error()}
	}
	return CheckResult{Kind: KindUnit, Name: name, Passed: UnitActive(state), Detail: state}
}

func httpCheck(ctx context.Context, p Prober, c HTTPCheck) CheckResult {
	status := c.Status
	if status == 0 {
		status = DefaultStatus
	}
	if err := p.HTTP(ctx, c); err != nil {
		return CheckResult{Kind: KindHTTP, Name: c.URL, Detail: err.Error()}
	}
	return CheckResult{Kind: KindHTTP, Name: c.URL, Passed: true, Detail: fmt.Sprintf("status %d", status)}
}

func fileCheck(p Prober, name string) CheckResult {
	if err := p.File(name); err != nil {
		return CheckResult{Kind: KindFile, Name: name, Detail: err.Error()}
	}
	return CheckResult{Kind: KindFile, Name: name, Passed: true, Detail: "present"}
}

func allPassed(cs []CheckResult) bool {
	for _, c := range cs {
		if !c.Passed {
			return false
		}
	}
	return true
}

// sleep waits d, or returns false when ctx is cancelled first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
