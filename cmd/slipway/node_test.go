package main

import (
	"strings"
	"testing"
)

func TestNodeUsageExits2(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"node", "status", "--booted", "a"}, "--booted needs --disk"},
		{[]string{"node", "status", "--disk", "x.raw", "--booted", "c"}, "unknown slot"},
		{[]string{"node", "upgrade", "--disk", "x.raw", "--booted", "a"}, "--payload is required"},
		{[]string{"node", "upgrade", "--disk", "x.raw", "--booted", "a", "--payload", "p", "--stage", "--reboot"}, "exclude each other"},
		{[]string{"node", "upgrade", "--disk", "x.raw", "--booted", "a", "--payload", "p", "--role", "master"}, "--role"},
		{[]string{"node", "upgrade", "--disk", "x.raw", "--booted", "a", "--payload", "p", "--key", "/nonexistent.asc"}, "--key"},
	} {
		_, stderr, code := run(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("slipway %s: exit %d, want 2 saying %q:\n%s", strings.Join(c.args, " "), code, c.want, stderr)
		}
	}
}
