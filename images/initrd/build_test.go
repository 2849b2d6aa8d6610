package initrd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/u-root/u-root/pkg/cpio"

	"github.com/slipway-dev/slipway/node/early"
)

const testKver = "6.1.0-56-cloud-amd64"

// fakeRootfs makes an OS tree: depmod's files with small module files,
// the host's ls standing in for Ignition (a real dynamically linked ELF)
// with its libraries copied where the host has them, and the host's
// static ldconfig standing in for slipway-init.
func fakeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"lib", "lib64"} { // Debian's merged /usr
		if err := os.MkdirAll(filepath.Join(root, "usr", d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("usr/"+d, filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	mods := filepath.Join(root, "usr/lib/modules", testKver)
	fakeModules(t, mods)
	deps, _ := parseDep(strings.NewReader(readFile(t, filepath.Join(mods, "modules.dep"))))
	for f := range deps {
		writeFile(t, filepath.Join(mods, f), "module "+f)
	}
	copyTo(t, "/usr/bin/ls", filepath.Join(root, IgnitionPath))
	libs, err := elfDeps("/", "/usr/bin/ls")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		copyTo(t, l.Source, filepath.Join(root, "usr", strings.TrimPrefix(l.Path, "/usr")))
	}
	copyTo(t, "/sbin/ldconfig", filepath.Join(root, "usr/lib/slipway/slipway-init"))
	return root
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func build(t *testing.T, o Options) ([]byte, *Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Build(context.Background(), &buf, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != int64(buf.Len()) {
		t.Errorf("Result.Size = %d, wrote %d", res.Size, buf.Len())
	}
	return buf.Bytes(), res
}

func TestBuildIsDeterministic(t *testing.T) {
	root := fakeRootfs(t)
	epoch := time.Unix(1700000000, 0)
	o := Options{Rootfs: root, Modules: []string{"virtio_blk", "vfat"}, Epoch: epoch}
	first, _ := build(t, o)
	// A second tree with the same content but other inode numbers and times.
	other := fakeRootfs(t)
	os.Chtimes(filepath.Join(other, IgnitionPath), time.Now(), time.Now())
	o.Rootfs = other
	second, _ := build(t, o)
	if sha256.Sum256(first) != sha256.Sum256(second) {
		t.Error("same inputs gave different bytes")
	}
	o.Epoch = epoch.Add(time.Second)
	if third, _ := build(t, o); bytes.Equal(first, third) {
		t.Error("another epoch gave the same bytes")
	}
}

func TestBuildContent(t *testing.T) {
	root := fakeRootfs(t)
	epoch := time.Unix(1700000000, 0)
	data, res := build(t, Options{Rootfs: root, Modules: []string{"virtio_pci", "vfat", "ext4"}, Epoch: epoch})
	recs := readArchive(t, data)
	names := map[string]cpio.Info{}
	inodes := map[uint64]bool{}
	for _, r := range recs {
		names[r.Name] = r.Info
		if r.UID != 0 || r.GID != 0 || r.MTime != uint64(epoch.Unix()) || inodes[r.Ino] {
			t.Errorf("%s: uid %d gid %d mtime %d ino %d (duplicate %v)", r.Name, r.UID, r.GID, r.MTime, r.Ino, inodes[r.Ino])
		}
		inodes[r.Ino] = true
	}
	mods := "lib/modules/" + testKver + "/"
	for name, mode := range map[string]uint64{
		"init":                           cpio.S_IFREG | 0o755,
		"usr/bin/ignition":               cpio.S_IFREG | 0o755,
		"lib64/ld-linux-x86-64.so.2":     cpio.S_IFREG | 0o755,
		"lib/x86_64-linux-gnu/libc.so.6": cpio.S_IFREG | 0o755,
		"dev/console":                    cpio.S_IFCHR | 0o600,
		"sysroot":                        cpio.S_IFDIR | 0o755,
		"tmp":                            cpio.S_IFDIR | 0o1777,
		mods + "kernel/fs/fat/fat.ko":    cpio.S_IFREG | 0o644,
		mods + "modules.dep":             cpio.S_IFREG | 0o644,
	} {
		info, ok := names[name]
		if !ok {
			t.Errorf("%s missing", name)
		} else if info.Mode != mode {
			t.Errorf("%s: mode %o, want %o", name, info.Mode, mode)
		}
	}
	if len(recs) != res.Files {
		t.Errorf("Result.Files = %d, archive has %d", res.Files, len(recs))
	}
	list := early.ParseModuleList([]byte(contentOf(t, recs, mods+early.ModuleList)))
	if !reflect.DeepEqual(list, res.Modules) || len(list) != 6 || list[len(list)-1] != "kernel/fs/fat/vfat.ko" {
		t.Errorf("module list %q, result %q", list, res.Modules)
	}
	if !reflect.DeepEqual(res.Builtin, []string{"ext4"}) {
		t.Errorf("builtin = %q", res.Builtin)
	}
	if got := contentOf(t, recs, "usr/bin/ignition"); got != readFile(t, "/usr/bin/ls") {
		t.Error("usr/bin/ignition differs from its source")
	}
}

func readArchive(t *testing.T, data []byte) []cpio.Record {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i-1].Name >= recs[i].Name {
			t.Errorf("entries out of order: %s before %s", recs[i-1].Name, recs[i].Name)
		}
	}
	return recs
}

func contentOf(t *testing.T, recs []cpio.Record, name string) string {
	t.Helper()
	for _, r := range recs {
		if r.Name == name {
			b, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("%s not in the archive", name)
	return ""
}

func TestBuildReportsEveryMissingPiece(t *testing.T) {
	root := fakeRootfs(t)
	os.Remove(filepath.Join(root, IgnitionPath))
	_, err := Build(context.Background(), io.Discard, Options{
		Rootfs: root, Init: "/usr/bin/ls", Modules: []string{"virtio_blk", "zfs"},
	})
	for _, want := range []error{ErrNotStatic, ErrModuleNotFound, ErrNoIgnition} {
		if !errors.Is(err, want) {
			t.Errorf("err = %v, want it to wrap %v", err, want)
		}
	}
}

func TestBuildGzip(t *testing.T) {
	data, res := build(t, Options{Rootfs: fakeRootfs(t), Modules: []string{"vfat"}, Compression: Gzip})
	if res.Compression != Gzip || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		t.Errorf("not gzip: %x", data[:4])
	}
}
