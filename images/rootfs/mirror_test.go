package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestAptMirror(t *testing.T) {
	for _, tc := range []struct {
		name, etcApt, suite, want string
		err                       error
	}{
		{name: "one-line: skips deb-src, security and options, trims slash", etcApt: "testdata/apt/oneline", suite: "bookworm", want: "http://mirror.example.org/debian"},
		{name: "one-line: security suite", etcApt: "testdata/apt/oneline", suite: "bookworm-security", want: "http://security.debian.org/debian-security"},
		{name: "deb822: skips disabled, deb-src, other suites and files", etcApt: "testdata/apt/deb822", suite: "bookworm", want: "http://deb.example.org/debian"},
		{name: "deb822: continuation lines", etcApt: "testdata/apt/deb822", suite: "bookworm-updates", want: "http://deb.example.org/debian"},
		{name: "no source for the suite", etcApt: "testdata/apt/none", suite: "bookworm", err: ErrNoMirror},
		{name: "no apt directory", etcApt: "testdata/apt/missing", suite: "bookworm", err: ErrNoMirror},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AptMirror(tc.etcApt, tc.suite)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("AptMirror(%s, %s) = %q, %v; want %q, %v", tc.etcApt, tc.suite, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestAptMirrorReadOrder: sources.list wins over sources.list.d, whose
// files count in name order whatever their format.
func TestAptMirrorReadOrder(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "sources.list.d")
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(d, "b.list"), []byte("deb http://b.example.org/debian bookworm main\n"), 0o644)
	os.WriteFile(filepath.Join(d, "a.sources"), []byte("Types: deb\nURIs: http://a.example.org/debian\nSuites: bookworm\nComponents: main\n"), 0o644)
	if got, err := AptMirror(dir, "bookworm"); err != nil || got != "http://a.example.org/debian" {
		t.Fatalf("got %q, %v; want a.example.org from a.sources", got, err)
	}
	os.WriteFile(filepath.Join(dir, "sources.list"), []byte("deb http://main.example.org/debian bookworm main\n"), 0o644)
	if got, err := AptMirror(dir, "bookworm"); err != nil || got != "http://main.example.org/debian" {
		t.Fatalf("got %q, %v; want main.example.org from sources.list", got, err)
	}
}
