//go:build linux

package early

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCopyTree copies a /var-like tree over an existing one and compares
// every entry's metadata. It needs root (chown), as slipway-init has.
func TestCopyTree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestCopyTree needs root: it copies owners")
	}
	src, dst := t.TempDir(), t.TempDir()
	mk := func(f func() error) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	p := func(rel string) string { return filepath.Join(src, rel) }
	mk(func() error { return os.MkdirAll(p("lib/app"), 0o755) })
	mk(func() error { return os.MkdirAll(p("tmp"), 0o755) })
	mk(func() error { return os.WriteFile(p("lib/app/data"), []byte("data\n"), 0o644) })
	mk(func() error { return os.Link(p("lib/app/data"), p("lib/app/data2")) })
	mk(func() error { return os.WriteFile(p("lib/app/tool"), []byte("#!/bin/sh\n"), 0o755) })
	mk(func() error { return os.Symlink("../missing", p("lib/app/dangling")) })
	mk(func() error { return unix.Mkfifo(p("lib/app/fifo"), 0o600) })
	mk(func() error { return unix.Lsetxattr(p("lib/app/data"), "user.slipway", []byte("seeded"), 0) })
	mk(func() error { return os.Lchown(p("lib/app/dangling"), 1234, 5678) })
	mk(func() error { return os.Chown(p("lib/app"), 1234, 5678) })
	mk(func() error { return os.Chmod(p("lib/app"), 0o750) })
	mk(func() error { return os.Chmod(p("lib/app/tool"), 0o4755|os.ModeSetuid) })
	mk(func() error { return os.Chmod(p("tmp"), 0o1777|os.ModeSticky) })
	old := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	mk(func() error { return os.Chtimes(p("lib/app/data"), old, old) })
	mk(func() error { return os.Chtimes(p("lib/app"), old, old) })
	// dst already holds files: one replaced, one kept.
	mk(func() error { return os.MkdirAll(filepath.Join(dst, "lib/app"), 0o755) })
	mk(func() error { return os.WriteFile(filepath.Join(dst, "lib/app/data"), []byte("old"), 0o600) })
	mk(func() error { return os.WriteFile(filepath.Join(dst, "keep"), []byte("k"), 0o600) })

	n, err := CopyTree(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 {
		t.Errorf("copied %d entries, want 8", n)
	}
	for _, rel := range []string{"lib", "lib/app", "lib/app/data", "lib/app/data2", "lib/app/tool", "lib/app/dangling", "lib/app/fifo", "tmp"} {
		compareEntry(t, filepath.Join(src, rel), filepath.Join(dst, rel))
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "lib/app/data")); string(got) != "data\n" {
		t.Errorf("data = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dst, "keep")); err != nil {
		t.Errorf("existing file removed: %v", err)
	}
	var a, b unix.Stat_t
	unix.Lstat(filepath.Join(dst, "lib/app/data"), &a)
	unix.Lstat(filepath.Join(dst, "lib/app/data2"), &b)
	if a.Ino != b.Ino {
		t.Error("hard link became two files")
	}
	if v, err := getXattr(filepath.Join(dst, "lib/app/data"), "user.slipway"); err != nil || string(v) != "seeded" {
		t.Errorf("xattr = %q, %v", v, err)
	}
}

func compareEntry(t *testing.T, src, dst string) {
	t.Helper()
	var s, d unix.Stat_t
	if err := unix.Lstat(src, &s); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lstat(dst, &d); err != nil {
		t.Errorf("%s: %v", dst, err)
		return
	}
	if s.Mode != d.Mode || s.Uid != d.Uid || s.Gid != d.Gid {
		t.Errorf("%s: mode %o uid %d gid %d, want %o %d %d", dst, d.Mode, d.Uid, d.Gid, s.Mode, s.Uid, s.Gid)
	}
	if s.Mtim != d.Mtim {
		t.Errorf("%s: mtime %v, want %v", dst, d.Mtim, s.Mtim)
	}
}
