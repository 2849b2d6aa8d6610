package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one tar entry of a test layer.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	size             int64 // overrides len(body) in the header
}

func layer(t *testing.T, entries ...entry) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Size: int64(len(e.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if e.size != 0 {
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg && e.size == 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Flush(); err != nil && !strings.Contains(err.Error(), "missed writing") {
		t.Fatal(err)
	}
	return &buf
}

func TestExtractLayers(t *testing.T) {
	dir := t.TempDir()
	base := layer(t,
		entry{name: "usr/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "usr/lib/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "lib", typ: tar.TypeSymlink, link: "usr/lib"},
		entry{name: "usr/bin/etcd", body: "etcd", mode: 0o755},
		entry{name: "usr/bin/etcdctl", typ: tar.TypeLink, link: "usr/bin/etcd"},
		entry{name: "etc/old.conf", body: "old"},
		entry{name: "var/cache/a", body: "a"},
		entry{name: "bin/sh", typ: tar.TypeSymlink, link: "/usr/bin/dash"},
	)
	top := layer(t,
		entry{name: "lib/modules/x.ko", body: "module"}, // through lib -> usr/lib, inside the tree
		entry{name: "etc/.wh.old.conf"},
		entry{name: "var/cache/.wh..wh..opq"},
		entry{name: "var/cache/b", body: "b"},
	)
	if err := Extract(context.Background(), dir, []io.Reader{base, top}); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string { b, _ := os.ReadFile(filepath.Join(dir, p)); return string(b) }
	if read("usr/lib/modules/x.ko") != "module" {
		t.Error("file written through an in-tree symlink is not in usr/lib")
	}
	if _, err := os.Lstat(filepath.Join(dir, "etc/old.conf")); !os.IsNotExist(err) {
		t.Error("whiteout did not delete etc/old.conf")
	}
	if _, err := os.Lstat(filepath.Join(dir, "var/cache/a")); !os.IsNotExist(err) || read("var/cache/b") != "b" {
		t.Error("opaque directory not reset")
	}
	if st, _ := os.Stat(filepath.Join(dir, "usr/bin/etcd")); st == nil || st.Mode().Perm() != 0o755 {
		t.Errorf("etcd mode: %v", st)
	}
	a, _ := os.Stat(filepath.Join(dir, "usr/bin/etcd"))
	b, _ := os.Stat(filepath.Join(dir, "usr/bin/etcdctl"))
	if !os.SameFile(a, b) {
		t.Error("hard link not preserved")
	}
	if target, _ := os.Readlink(filepath.Join(dir, "bin/sh")); target != "/usr/bin/dash" {
		t.Errorf("absolute symlink target changed: %q", target)
	}
}

// TestExtractRefusesUnsafe: each malicious layer is refused with
// ErrUnsafeEntry and writes nothing outside the tree.
func TestExtractRefusesUnsafe(t *testing.T) {
	cases := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"absolute path", []entry{{name: "/etc/passwd", body: "x"}}, "absolute path"},
		{"path traversal", []entry{{name: "../../outside", body: "x"}}, "'..'"},
		{"traversal inside", []entry{{name: "usr/../../outside", body: "x"}}, "'..'"},
		{"symlink escape", []entry{{name: "usr/evil", typ: tar.TypeSymlink, link: "../../../etc"}}, "leaves the tree"},
		{"hardlink escape", []entry{{name: "evil", typ: tar.TypeLink, link: "../outside"}}, "hard link"},
		{"hardlink absolute", []entry{{name: "evil", typ: tar.TypeLink, link: "/etc/shadow"}}, "hard link"},
		{"device node", []entry{{name: "dev/sda", typ: tar.TypeBlock}}, "device"},
		{"char device", []entry{{name: "dev/mem", typ: tar.TypeChar}}, "device"},
		{"huge header", []entry{{name: "big", size: DefaultMaxEntrySize + 1}}, "over the"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "root")
			os.Mkdir(dir, 0o755)
			err := Extract(context.Background(), dir, []io.Reader{layer(t, c.entries...)})
			if !errors.Is(err, ErrUnsafeEntry) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrUnsafeEntry with %q", err, c.want)
			}
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 {
				t.Fatalf("something was written beside the tree: %v", entries)
			}
		})
	}
}

// TestSymlinkThenWrite: a layer that plants an absolute symlink to /etc and
// then writes through it stays inside the tree.
func TestSymlinkThenWrite(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "root")
	os.Mkdir(dir, 0o755)
	outside := filepath.Join(parent, "victim")
	os.Mkdir(outside, 0o755)
	err := Extract(context.Background(), dir, []io.Reader{layer(t,
		entry{name: "escape", typ: tar.TypeSymlink, link: outside},
		entry{name: "escape/pwned", body: "x"},
	)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
		t.Fatal("write followed a symlink out of the tree")
	}
	if _, err := os.Stat(filepath.Join(dir, outside, "pwned")); err != nil {
		t.Fatalf("file not written inside the tree: %v", err)
	}
}

func TestDevicesWhenAllowed(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("creating device nodes needs root (CI and make test run as root)")
	}
	dir := t.TempDir()
	err := Extract(context.Background(), dir, []io.Reader{layer(t, entry{name: "dev/null", typ: tar.TypeChar, mode: 0o666})}, WithDevices())
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(filepath.Join(dir, "dev/null")); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("dev/null: %v %v", st, err)
	}
}
