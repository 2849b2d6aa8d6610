package early

import "fmt"

// Steps are the names of Boot's steps, in order. Each prints one console
// line, "slipway-init: STEP: ok (DETAILS)", or stops the boot.
var Steps = []string{"mount", "modules", "partitions", "sysroot", "state", "etc", "ignition", "switch-root"}

// Plan is what the state and ignition steps do, decided from the markers
// found on STATE.
type Plan struct {
	// SeedVar copies the image's /var onto STATE.
	SeedVar bool
	// FirstBoot runs Ignition and, when it succeeds, writes
	// FirstBootMarker.
	FirstBoot bool
}

// PlanBoot decides from the markers on STATE. /var is seeded only on a
// first boot that has not seeded it yet (an Ignition failure reboots into
// another first boot, which must not overwrite /var again), and never once
// first boot completed, whatever happened to the seed marker: the node's
// /var is its own from then on.
func PlanBoot(varSeeded, firstBootDone bool) Plan {
	return Plan{SeedVar: !varSeeded && !firstBootDone, FirstBoot: !firstBootDone}
}

// String describes the plan for the console.
func (p Plan) String() string {
	switch {
	case p.SeedVar:
		return "first boot, /var seeded from the image"
	case p.FirstBoot:
		return "first boot again (/var seeded before)"
	}
	return "not first boot"
}

// StepError is a failed step: one of Steps and why.
type StepError struct {
	Step string
	Err  error
}

// Error reads "STEP: ERR".
func (e *StepError) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }

// Unwrap returns Err.
func (e *StepError) Unwrap() error { return e.Err }

// okLine is the console line of a step that succeeded.
func okLine(step, details string) string {
	return fmt.Sprintf("slipway-init: %s: ok (%s)\n", step, details)
}
