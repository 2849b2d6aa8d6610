// Command slipway builds the artifacts of an immutable Kubernetes node OS
// from one declarative spec: packages and their repositories today; OCI
// images, disk images and update payloads as they land.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/slipway-dev/slipway/node/cli"
	"github.com/slipway-dev/slipway/spec"
)

// Exit statuses shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitInvalid = 2
)

// usageError marks bad flags or arguments: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRootCommand()
	err := cmd.ExecuteContext(ctx)
	os.Exit(exitCode(err, cmd.ErrOrStderr()))
}

// exitCode prints err (once) and maps it to an exit status.
func exitCode(err error, w interface{ Write([]byte) (int, error) }) int {
	if err == nil {
		return exitOK
	}
	var inv *spec.InvalidError
	var use *usageError
	switch {
	case errors.As(err, &inv):
		fmt.Fprintln(w, inv.Report.String())
		return exitInvalid
	case errors.As(err, &use), cli.IsInvalid(err):
		fmt.Fprintln(w, "slipway:", err)
		return exitInvalid
	}
	fmt.Fprintln(w, "slipway:", err)
	return exitFailure
}
