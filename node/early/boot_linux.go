//go:build linux

package early

import (
	"context"
	"fmt"
	"io"
)

// boot is what the steps learn and pass on.
type boot struct {
	con   io.Writer
	cmd   Cmdline
	parts Partitions
	plan  Plan
}

// Boot runs Steps, printing one line each on con. On success it does not
// return: the real init replaces this process. Otherwise it returns the
// failed step as a *StepError; the caller hands it to Fail.
func Boot(ctx context.Context, con io.Writer) error {
	b := &boot{con: con}
	run := map[string]func(context.Context) (string, error){
		"mount": b.mountAPI, "modules": b.loadModules, "partitions": b.findPartitions,
		"sysroot": b.mountSysroot, "state": b.mountState, "etc": b.overlayEtc,
		"ignition": b.ignition, "switch-root": b.switchRoot,
	}
	for _, step := range Steps {
		details, err := run[step](ctx)
		if err != nil {
			return &StepError{Step: step, Err: err}
		}
		fmt.Fprint(con, okLine(step, details))
	}
	return &StepError{Step: "switch-root", Err: fmt.Errorf("returned instead of executing %s", b.cmd.Init)}
}
