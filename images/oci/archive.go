package oci

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// WriteArchive writes idx as an OCI layout archive (a tar of the layout, as
// `skopeo copy ... oci-archive:FILE` reads it) at path, with the options
// WriteLayout takes. Entries are sorted, owned by 0:0 and stamped with
// the epoch (WithEpoch), so the same index gives the same bytes. The file
// is written beside path and renamed into place.
func WriteArchive(ctx context.Context, path string, idx v1.ImageIndex, opts ...Option) error {
	o, err := newOptions(opts)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing archive: %w", err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "layout")
	if err := WriteLayout(ctx, dir, idx, opts...); err != nil {
		return err
	}
	f, err := os.CreateTemp(tmp, "archive-")
	if err != nil {
		return fmt.Errorf("writing archive: %w", err)
	}
	defer f.Close()
	if err := tarTree(ctx, f, dir, o); err != nil {
		return fmt.Errorf("writing archive %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("renaming archive into place: %w", err)
	}
	return nil
}

// tarTree writes the files and directories below dir, sorted.
func tarTree(ctx context.Context, w io.Writer, dir string, o *options) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: o.epoch, Format: tar.FormatPAX, Mode: 0o644, Typeflag: tar.TypeReg}
		if d.IsDir() {
			hdr.Name, hdr.Mode, hdr.Typeflag = hdr.Name+"/", 0o755, tar.TypeDir
			return tw.WriteHeader(hdr)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		hdr.Size = st.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// openArchive reads an OCI layout archive (unpacked into a temporary
// directory that Close removes) or a docker save tarball.
func openArchive(p, tag string) (*Artifact, error) {
	isOCI, err := hasOCILayoutEntry(p)
	if err != nil {
		return nil, err
	}
	if !isOCI {
		return openDockerArchive(p)
	}
	tmp, err := os.MkdirTemp("", "slipway-oci-archive-")
	if err != nil {
		return nil, err
	}
	if err := untarLayout(p, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("unpacking %s: %w", p, err)
	}
	a, err := openLayout(tmp, tag)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	a.cleanup = func() { os.RemoveAll(tmp) }
	return a, nil
}

func hasOCILayoutEntry(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%w: %s is not a tar archive: %v", ErrNoImage, p, err)
		}
		if strings.TrimPrefix(hdr.Name, "./") == "oci-layout" {
			return true, nil
		}
	}
}

// untarLayout unpacks the regular files and directories of a layout
// archive; anything else, or a name leaving dir, is refused.
func untarLayout(p, dir string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q leaves the layout", hdr.Name)
		}
		dst := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(dst, 0o755)
		case tar.TypeReg:
			err = writeRegular(dst, tr)
		default:
			err = fmt.Errorf("entry %q: only files and directories belong in a layout", hdr.Name)
		}
		if err != nil {
			return err
		}
	}
}

func writeRegular(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
