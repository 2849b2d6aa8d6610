package images

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/images/rootfs"
)

// capValue is a VFS_CAP_REVISION_2 security.capability granting
// cap_net_raw (bit 13) permitted+effective, as setcap writes it.
var capValue = []byte{0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// osTree makes a small root filesystem with what OS trees hold and
// container layers usually do not: foreign owners, hard links, a file
// capability, a setuid binary, a device node and a FIFO.
func osTree(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (owners, capabilities, device nodes); the test suite runs as root")
	}
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"usr/bin", "etc", "dev", "var/log/journal", "run"} {
		must(os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	must(os.WriteFile(filepath.Join(root, "usr/bin/ping"), []byte("ping"), 0o755))
	must(unix.Lsetxattr(filepath.Join(root, "usr/bin/ping"), "security.capability", capValue, 0))
	must(os.WriteFile(filepath.Join(root, "usr/bin/su"), []byte("su"), 0o755))
	must(os.Chmod(filepath.Join(root, "usr/bin/su"), 0o755|os.ModeSetuid))
	must(os.WriteFile(filepath.Join(root, "usr/bin/chage"), []byte("chage"), 0o755))
	must(os.Lchown(filepath.Join(root, "usr/bin/chage"), 0, 42))
	must(os.Chmod(filepath.Join(root, "usr/bin/chage"), 0o755|os.ModeSetgid))
	must(os.MkdirAll(filepath.Join(root, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(root, "tmp"), 0o777|os.ModeSticky))
	must(os.WriteFile(filepath.Join(root, "usr/bin/python3.11"), []byte("py"), 0o755))
	must(os.Link(filepath.Join(root, "usr/bin/python3.11"), filepath.Join(root, "usr/bin/python3")))
	must(os.Symlink("usr/bin", filepath.Join(root, "bin")))
	must(os.WriteFile(filepath.Join(root, "etc/shadow"), []byte("root:*:"), 0o640))
	must(os.Lchown(filepath.Join(root, "etc/shadow"), 0, 42))
	must(os.Lchown(filepath.Join(root, "var/log/journal"), 0, 101))
	must(unix.Mknod(filepath.Join(root, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(unix.Mkfifo(filepath.Join(root, "run/initctl"), 0o600))
	return root
}

func packOS(t *testing.T, root string) (string, string) {
	t.Helper()
	ctx := context.Background()
	idx, err := PackOS(ctx, OSImage{Root: root, Arch: "amd64", Version: "1.0.0", Epoch: time.Unix(1700000000, 0), CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	layout := filepath.Join(t.TempDir(), "os")
	if err := oci.WriteLayout(ctx, layout, idx); err != nil {
		t.Fatal(err)
	}
	return layout, d.String()
}

// TestOSImageRoundTrip: a tree packed as an OS image and flattened back is
// the same tree, and packing is deterministic.
func TestOSImageRoundTrip(t *testing.T) {
	root := osTree(t)
	layout, d1 := packOS(t, root)
	if _, d2 := packOS(t, root); d1 != d2 {
		t.Fatalf("packing twice: %s then %s", d1, d2)
	}
	out := filepath.Join(t.TempDir(), "tree")
	err := UnpackOS(context.Background(), layout, "amd64", out, false)
	if !errors.Is(err, rootfs.ErrUnsafeEntry) {
		t.Fatalf("unpacking device nodes without asking: err = %v, want ErrUnsafeEntry", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("refused unpack left %s behind", out)
	}
	if err := UnpackOS(context.Background(), layout, "amd64", out, true); err != nil {
		t.Fatal(err)
	}
	checkSame(t, root, out)
}

func checkSame(t *testing.T, a, b string) {
	t.Helper()
	for _, rel := range []string{"usr/bin/ping", "usr/bin/su", "usr/bin/chage", "tmp", "usr/bin/python3", "bin", "etc/shadow", "var/log/journal", "dev/null", "run/initctl"} {
		sa, sb := lstat(t, filepath.Join(a, rel)), lstat(t, filepath.Join(b, rel))
		if sa.Mode != sb.Mode || sa.Uid != sb.Uid || sa.Gid != sb.Gid || sa.Rdev != sb.Rdev {
			t.Errorf("%s: mode %o uid %d gid %d rdev %d, want %o %d %d %d", rel, sb.Mode, sb.Uid, sb.Gid, sb.Rdev, sa.Mode, sa.Uid, sa.Gid, sa.Rdev)
		}
	}
	if lstat(t, filepath.Join(b, "usr/bin/python3")).Ino != lstat(t, filepath.Join(b, "usr/bin/python3.11")).Ino {
		t.Error("hard link became two files")
	}
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(filepath.Join(b, "usr/bin/ping"), "security.capability", buf)
	if err != nil || string(buf[:n]) != string(capValue) {
		t.Errorf("file capability lost: %x, %v", buf[:max(n, 0)], err)
	}
}

func lstat(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

// TestPackOSFromTarball: an archive of a tree made by GNU tar packs to
// the same image as the tree itself (owners, links, capabilities kept).
func TestPackOSFromTarball(t *testing.T) {
	root := osTree(t)
	tarPath := filepath.Join(t.TempDir(), "root.tar.gz")
	out, err := exec.Command("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-czpf", tarPath, "-C", root, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	pack := func(src string) string {
		idx, err := PackOS(context.Background(), OSImage{Root: src, Arch: "amd64", Version: "1", Epoch: time.Unix(1, 0), CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := idx.Digest()
		return d.String()
	}
	if a, b := pack(root), pack(tarPath); a != b {
		t.Fatalf("tree packs to %s, its archive to %s", a, b)
	}
}
