package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// writableDirs are the directories a running node writes to outside /etc
// and /var. The root is read-only, so they become links into /var (on
// STATE) or /run, as on Fedora CoreOS; their content in the image moves to
// the link's target, which slipway-init copies to STATE on first boot.
var writableDirs = []struct{ dir, target, link string }{
	{"home", "var/home", "var/home"},
	{"root", "var/roothome", "var/roothome"},
	{"srv", "var/srv", "var/srv"},
	{"opt", "var/opt", "var/opt"},
	{"mnt", "var/mnt", "var/mnt"},
	{"media", "run/media", "run/media"},
	{"usr/local", "var/usrlocal", "../var/usrlocal"},
}

// linkWritableDirs turns each writable directory into its link.
func linkWritableDirs(dir string, _ OSInfo) error {
	for _, w := range writableDirs {
		if err := linkWritable(dir, w.dir, w.target, w.link); err != nil {
			return fmt.Errorf("/%s: %w", w.dir, err)
		}
	}
	return nil
}

func linkWritable(root, dir, target, link string) error {
	src := filepath.Join(root, dir)
	st, err := os.Lstat(src)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return nil // done before
	case !st.IsDir():
		return fmt.Errorf("is not a directory")
	default:
		if err := moveDir(src, filepath.Join(root, target), st); err != nil {
			return err
		}
	}
	return os.Symlink(link, src)
}

// moveDir moves src's entries into dst (created with src's mode and
// owner when missing) and removes src.
func moveDir(src, dst string, st fs.FileInfo) error {
	if err := os.MkdirAll(dst, st.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Chmod(dst, st.Mode().Perm()); err != nil {
		return err
	}
	if err := chownLike(dst, st); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return os.Remove(src)
}

// enableTmpMount makes /tmp a tmpfs (Debian ships tmp.mount disabled;
// the read-only root has no writable /tmp otherwise). A tree without
// systemd's tmp.mount is left alone.
func enableTmpMount(dir string, _ OSInfo) error {
	unit := filepath.Join(dir, "etc/systemd/system/tmp.mount")
	if _, err := os.Lstat(unit); err == nil {
		return nil
	}
	var b []byte
	for _, p := range []string{"usr/share/systemd/tmp.mount", "usr/lib/systemd/system/tmp.mount"} {
		var err error
		if b, err = readInTree(dir, p); err != nil {
			return err
		}
		if b != nil {
			break
		}
	}
	if b == nil {
		return nil // no systemd here: Check reports it
	}
	if err := writeInTree(dir, "etc/systemd/system/tmp.mount", b, 0o644); err != nil {
		return err
	}
	wants := filepath.Join(dir, "etc/systemd/system/local-fs.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	return os.Symlink("/etc/systemd/system/tmp.mount", filepath.Join(wants, "tmp.mount"))
}

// maskFirstboot masks systemd-firstboot: with machine-id "uninitialized"
// it would prompt on the console and hold the boot.
func maskFirstboot(dir string, _ OSInfo) error {
	p := filepath.Join(dir, "etc/systemd/system/systemd-firstboot.service")
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.Symlink("/dev/null", p)
}

// chownLike gives p st's owner when running as root.
func chownLike(p string, st fs.FileInfo) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 {
		return nil
	}
	return os.Lchown(p, int(sys.Uid), int(sys.Gid))
}
