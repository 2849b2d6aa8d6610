//go:build linux

package early

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestDiagnose reads this machine's /proc and /sys, as slipway-init reads
// the node's.
func TestDiagnose(t *testing.T) {
	var buf bytes.Buffer
	err := &StepError{Step: "partitions", Err: errors.New("after 1m0s: no partition labelled slipway-a")}
	Diagnose(&buf, err, "console=ttyS0 slipway.slot=a\n")
	out := buf.String()
	for _, want := range []string{
		"slipway-init: FAILED at step partitions: after 1m0s: no partition labelled slipway-a\n",
		"slipway-init: kernel command line: console=ttyS0 slipway.slot=a\n",
		"slipway-init: partitions by PARTLABEL: ",
		"slipway-init: block devices: ",
		"slipway-init: loaded modules: ",
		"slipway-init: mounts:\n  ",
		" /proc proc ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diagnosis lacks %q:\n%s", want, out)
		}
	}
}
