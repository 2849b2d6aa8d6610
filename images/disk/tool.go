package disk

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// toolPackages names the Debian package of each external tool, for errors.
var toolPackages = map[string]string{
	"mksquashfs": "squashfs-tools",
	"mkfs.erofs": "erofs-utils",
	"mkfs.ext4":  "e2fsprogs",
	"qemu-img":   "qemu-utils",
}

// run runs a tool with extra environment variables (KEY=VALUE sets, a
// bare KEY removes) and returns its error with the tail of its output.
func run(ctx context.Context, env []string, name string, args ...string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%s not found in PATH (Debian package %s): %w", name, toolPackages[name], err)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = environ(env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("running %s: %w: %s", name, err, tail(out.String(), 1024))
	}
	return nil
}

// tail keeps the last n bytes of s, trimmed.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// environ is this process's environment with env applied.
func environ(env []string) []string {
	out := os.Environ()
	for _, e := range env {
		key, _, set := strings.Cut(e, "=")
		kept := out[:0]
		for _, o := range out {
			if !strings.HasPrefix(o, key+"=") {
				kept = append(kept, o)
			}
		}
		out = kept
		if set {
			out = append(out, e)
		}
	}
	return out
}
