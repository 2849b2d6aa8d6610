package rootfs

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// create makes the entry at dst, replacing what is there unless both are
// directories.
func create(root, dst string, hdr *tar.Header, r io.Reader, o *options) error {
	mode := entryMode(hdr)
	if st, err := os.Lstat(dst); err == nil && !(st.IsDir() && hdr.Typeflag == tar.TypeDir) {
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		return os.Chmod(dst, mode)
	case tar.TypeReg:
		return writeFile(dst, r, hdr.Size, mode)
	case tar.TypeSymlink:
		return os.Symlink(hdr.Linkname, dst)
	case tar.TypeLink:
		src, err := securejoin.SecureJoin(root, hdr.Linkname)
		if err != nil {
			return err
		}
		if st, err := os.Lstat(src); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("%w: hard link to %q, which is not a file in the tree", ErrUnsafeEntry, hdr.Linkname)
		}
		return os.Link(src, dst)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		return unix.Mknod(dst, kind|uint32(mode.Perm()), int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))))
	}
	return fmt.Errorf("%w: unsupported entry type %q", ErrUnsafeEntry, hdr.Typeflag)
}

func writeFile(dst string, r io.Reader, size int64, mode os.FileMode) error {
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, r, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

// clearDir empties a directory for an opaque whiteout.
func clearDir(root, rel string) error {
	d, err := securejoin.SecureJoin(root, rel)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(d)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(d, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// entryMode is the entry's permission bits with setuid, setgid and sticky
// (tar's c_mode bits 04000, 02000, 01000) as os.FileMode flags.
func entryMode(hdr *tar.Header) os.FileMode {
	return hdr.FileInfo().Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)
}
