package oci

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"
)

// TreeLayer makes one layer of a whole root filesystem tree, the way an OS
// image needs it: numeric owners, permission and special bits, hard links
// (as tar links to the first path), symlinks, the security.capability and
// other extended attributes (PAX SCHILY.xattr records), and device nodes
// and FIFOs. Sockets are skipped. Entries are sorted and stamped with the
// epoch (WithEpoch), so a tree gives the same digest wherever it is packed.
// The gzip-compressed layer is streamed to the file path (written beside it
// and renamed), never held in memory; the returned layer reads that file.
func TreeLayer(ctx context.Context, root, path string, opts ...Option) (v1.Layer, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("packing %s: %w", root, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw, _ := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	zw.OS = 255
	if err := writeTree(ctx, zw, root, o); err != nil {
		return nil, fmt.Errorf("packing %s: %w", root, err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return nil, err
	}
	return tarball.LayerFromFile(path)
}

// writeTree writes a tar of root's tree to w.
func writeTree(ctx context.Context, w io.Writer, root string, o *options) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		return writeTreeEntry(tw, p, filepath.ToSlash(rel), links, o)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func writeTreeEntry(tw *tar.Writer, p, name string, links map[[2]uint64]string, o *options) error {
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if st.Mode()&fs.ModeSocket != 0 {
		return nil
	}
	target := ""
	if st.Mode()&fs.ModeSymlink != 0 {
		if target, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(st, target)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	hdr.Name, hdr.Uname, hdr.Gname = name, "", ""
	hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = o.epoch, o.epoch, o.epoch
	hdr.Format = tar.FormatPAX
	if st.IsDir() {
		hdr.Name += "/"
	}
	if st.Mode().IsRegular() && sys.Nlink > 1 {
		key := [2]uint64{uint64(sys.Dev), sys.Ino}
		if first, ok := links[key]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return tw.WriteHeader(hdr)
		}
		links[key] = name
	}
	if hdr.PAXRecords, err = xattrRecords(p); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// xattrRecords returns p's extended attributes as PAX records, or nil.
func xattrRecords(p string) (map[string]string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		if err == unix.ENOTSUP {
			return nil, nil
		}
		return nil, fmt.Errorf("listing extended attributes: %w", err)
	}
	var recs map[string]string
	for _, key := range strings.Split(string(buf[:n]), "\x00") {
		if key == "" {
			continue
		}
		val := make([]byte, 4096)
		m, err := unix.Lgetxattr(p, key, val)
		if err != nil {
			return nil, fmt.Errorf("reading extended attribute %s: %w", key, err)
		}
		if recs == nil {
			recs = map[string]string{}
		}
		recs["SCHILY.xattr."+key] = string(val[:m])
	}
	return recs, nil
}
