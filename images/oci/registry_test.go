package oci

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// needTool fails the test, naming the Debian package, when a tool is missing.
func needTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found (apt-get install -y %s): %v", tool, pkg, err)
	}
	return p
}

// run runs a command, failing the test with its output on error.
func run(t *testing.T, ctx context.Context, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("%s %s: %s", name, strings.Join(args, " "), msg)
	}
	return out
}
