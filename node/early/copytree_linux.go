//go:build linux

package early

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CopyTree copies the content of directory src into directory dst,
// preserving owners, modes (setuid, setgid and sticky bits included),
// modification times, symlinks, hard links within the tree, device nodes,
// FIFOs and extended attributes (where both filesystems support them).
// Sockets are skipped. Files already in dst are replaced, directories
// merged. It returns how many entries it copied.
func CopyTree(src, dst string) (int, error) {
	c := &copier{links: map[uint64]string{}}
	if err := c.dir(src, dst); err != nil {
		return c.n, err
	}
	return c.n, nil
}

type copier struct {
	links map[uint64]string // inode of a multiply-linked file → its copy
	n     int
}

func (c *copier) dir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := c.entry(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (c *copier) entry(src, dst string) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFSOCK {
		return nil
	}
	if err := c.create(src, dst, &st); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	c.n++
	return nil
}

// create makes dst like src, then copies its metadata.
func (c *copier) create(src, dst string, st *unix.Stat_t) error {
	kind := st.Mode & unix.S_IFMT
	if err := clearFor(dst, kind == unix.S_IFDIR); err != nil {
		return err
	}
	switch kind {
	case unix.S_IFDIR:
		if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := c.dir(src, dst); err != nil {
			return err
		}
	case unix.S_IFREG:
		if prev, ok := c.links[st.Ino]; ok && st.Nlink > 1 {
			return os.Link(prev, dst)
		}
		if err := copyFile(src, dst); err != nil {
			return err
		}
		c.links[st.Ino] = dst
	case unix.S_IFLNK:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	default: // FIFOs and devices
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	}
	return copyMeta(src, dst, st)
}

// clearFor removes what is at dst unless both are directories.
func clearFor(dst string, dir bool) error {
	fi, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) || (err == nil && dir && fi.IsDir()) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.RemoveAll(dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// copyMeta copies owner, mode, extended attributes and times; a chown
// clears setuid bits, so the mode comes after it.
func copyMeta(src, dst string, st *unix.Stat_t) error {
	if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("setting the owner: %w", err)
	}
	link := st.Mode&unix.S_IFMT == unix.S_IFLNK
	if !link {
		if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
			return fmt.Errorf("setting the mode: %w", err)
		}
	}
	if err := copyXattrs(src, dst); err != nil {
		return fmt.Errorf("copying extended attributes: %w", err)
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}
