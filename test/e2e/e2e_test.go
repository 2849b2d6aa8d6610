// Package e2e tests slipway end to end: the real bin/slipway builds real
// Kubernetes binaries into packages and repositories, and the real clients
// (mmdebstrap, apt-get, dpkg, dnf, rpm, lintian) install and check them.
// Every server binds 127.0.0.1; nothing leaves this machine except what the
// host's own Debian mirror and Go module proxy serve.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// epoch is SOURCE_DATE_EPOCH for every build (2025-04-23, the v1.33.0
// release day).
const epoch = 1745366400

// repoRoot is the slipway checkout, two levels above this file.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("locating the test source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// slipwayBin returns a copy of bin/slipway with the slipway-node binaries
// beside it, taken once per run (others may rebuild bin/ meanwhile, and
// every build of one run must use the same binaries); it fails when make
// build has not run.
func slipwayBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() { binPath, binErr = snapshotBin(repoRoot(t)) })
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func snapshotBin(root string) (string, error) {
	dst := filepath.Join(tmpRoot, "bin")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"slipway", "slipway-node-linux-amd64", "slipway-node-linux-arm64", "slipway-init-linux-amd64", "slipway-init-linux-arm64"} {
		b, err := os.ReadFile(filepath.Join(root, "bin", name))
		if err != nil {
			return "", fmt.Errorf("bin/%s is missing: run `make build` first (make test does): %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o755); err != nil {
			return "", err
		}
	}
	return filepath.Join(dst, "slipway"), nil
}

// needTools fails the test naming every tool that is not on PATH.
func needTools(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("required tools missing: %s (run `make deps`, i.e. hack/deps.sh, as root)", strings.Join(missing, ", "))
	}
}

// result is a finished command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs a command with extra environment, returning its result; it
// fails the test only when the command cannot start.
func run(t testing.TB, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", name, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// must runs a command and fails the test unless it exits 0.
func must(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	start := time.Now()
	r := run(t, env, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit status %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), r.code, tail(r.stdout), tail(r.stderr))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Logf("%s %s: %s", name, firstArgs(args), d.Round(time.Second))
	}
	return r.stdout
}

func firstArgs(args []string) string {
	if len(args) > 3 {
		args = args[:3]
	}
	return strings.Join(args, " ")
}

// tail keeps the last 60 lines of long output.
func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 60 {
		lines = append([]string{"..."}, lines[len(lines)-60:]...)
	}
	return strings.Join(lines, "\n")
}

// slipway runs bin/slipway with SOURCE_DATE_EPOCH set.
func slipway(t testing.TB, env []string, args ...string) result {
	t.Helper()
	env = append([]string{fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch)}, env...)
	return run(t, env, slipwayBin(t), args...)
}

// fileSHA256 is the hex digest of a file.
func fileSHA256(t testing.TB, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// listing is every path under dir with its size and digest, sorted.
func listing(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		entry := fmt.Sprintf("%s %v", rel, fi.Mode())
		if fi.Mode().IsRegular() {
			entry += " " + fileSHA256(t, p)
		}
		out = append(out, entry)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// glob returns the files matching pattern, failing when there are none.
func glob(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("no file matches %s", pattern)
	}
	return m
}
