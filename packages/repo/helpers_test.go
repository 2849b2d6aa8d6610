package repo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/signing"
)

// repoDate is the SOURCE_DATE_EPOCH the tests publish at.
var repoDate = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

var (
	testKey = sync.OnceValues(func() ([]byte, error) {
		return signing.Generate("Slipway Repo Test", "repo@slipway.invalid", buildTime)
	})
	otherKey = sync.OnceValues(func() ([]byte, error) {
		return signing.Generate("Someone Else", "else@slipway.invalid", buildTime)
	})
)

// newSigner parses one of the shared test keys.
func newSigner(t *testing.T, key func() ([]byte, error)) *signing.Signer {
	t.Helper()
	armored, err := key()
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	s, err := signing.Parse(armored, nil)
	if err != nil {
		t.Fatalf("parsing key: %v", err)
	}
	return s
}

// requireTool returns the path of a command the test cannot run without.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("this test needs %s installed: %v", name, err)
	}
	return p
}

// run runs a command and returns its combined output, failing the test only
// when the tool is missing.
func run(t *testing.T, dir string, name string, args ...string) (string, error) {
	t.Helper()
	// Not t.Context(): that is cancelled before cleanups, which run tools too.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireTool(t, name), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String(), err
}

// mustRun is run that fails the test on error.
func mustRun(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readTree returns the contents of every regular file under dir, keyed by
// slash-separated relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// writeFile writes data to path, failing the test on error.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
