package early

import (
	"errors"
	"io/fs"
	"testing"
)

func TestPlanBoot(t *testing.T) {
	for _, tc := range []struct {
		name                string
		varSeeded, bootDone bool
		want                Plan
	}{
		{"fresh STATE", false, false, Plan{SeedVar: true, FirstBoot: true}},
		{"Ignition failed last time", true, false, Plan{FirstBoot: true}},
		{"ordinary boot", true, true, Plan{}},
		{"seed marker lost: never reseed", false, true, Plan{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlanBoot(tc.varSeeded, tc.bootDone); got != tc.want {
				t.Errorf("PlanBoot(%v, %v) = %+v, want %+v", tc.varSeeded, tc.bootDone, got, tc.want)
			}
		})
	}
}

func TestStepsAndLines(t *testing.T) {
	if Steps[0] != "mount" || Steps[len(Steps)-1] != "switch-root" {
		t.Errorf("steps %v must start by mounting and end by switching root", Steps)
	}
	if got, want := okLine("modules", "12 loaded"), "slipway-init: modules: ok (12 loaded)\n"; got != want {
		t.Errorf("okLine = %q, want %q", got, want)
	}
	err := error(&StepError{Step: "state", Err: fs.ErrNotExist})
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "state: file does not exist" {
		t.Errorf("StepError = %q", err)
	}
}
