package sources

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/internal/fileutil"
	"github.com/slipway-dev/slipway/spec"
)

// fromImage returns the file src.Path names inside the oci:// image for
// arch, or the files of the directory it names. What it takes from an
// image is kept in the cache under oci/<image digest>/<path digest>/.
func (f *Fetcher) fromImage(ctx context.Context, baseDir, arch string, src spec.Source) ([]Binary, error) {
	a, err := oci.Open(ctx, baseDir, src.URL, f.OCIOptions...)
	if err != nil {
		return nil, fmt.Errorf("reading source %s: %w", src.URL, err)
	}
	defer a.Close()
	img, err := a.Platform(v1.Platform{OS: "linux", Architecture: arch})
	if err != nil {
		return nil, fmt.Errorf("reading source %s: %w", src.URL, err)
	}
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("reading source %s: %w", src.URL, err)
	}
	want := path.Clean(src.Path)
	pk := sha256.Sum256([]byte(want))
	dir := filepath.Join(f.CacheDir, "oci", d.Hex, hex.EncodeToString(pk[:8]))
	if _, err := os.Stat(dir); err != nil {
		if err := extractPath(ctx, img, want, dir); err != nil {
			return nil, fmt.Errorf("reading %s from %s: %w", want, src.URL, err)
		}
	}
	bins, err := dirBinaries(dir)
	if err != nil {
		return nil, err
	}
	if src.SHA256 != "" {
		if len(bins) != 1 {
			return nil, fmt.Errorf("source %s: sha256 needs path to name one file, not a directory", src.URL)
		}
		if got, err := fileutil.SHA256(bins[0].Path); err != nil || got != src.SHA256 {
			return nil, &ChecksumError{URL: src.URL + "#" + want, Want: src.SHA256, Got: got}
		}
	}
	return bins, nil
}

// extractPath copies the file at want (or the regular files directly in
// the directory want) from the flattened image into dst.
func extractPath(ctx context.Context, img v1.Image, want, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".extract-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rc := mutate.Extract(img)
	defer rc.Close()
	found, err := copyMatches(ctx, tar.NewReader(rc), strings.TrimPrefix(want, "/"), tmp)
	if err != nil {
		return err
	}
	if found == 0 {
		return fmt.Errorf("%w: no file at %s (nor files in a directory there)", os.ErrNotExist, want)
	}
	return os.Rename(tmp, dst)
}

// copyMatches writes the regular files at want or directly below it.
func copyMatches(ctx context.Context, tr *tar.Reader, want, dst string) (int, error) {
	found := 0
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return found, nil
		}
		if err != nil {
			return 0, err
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if name != want && path.Dir(name) != want {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			if err := writeBinary(filepath.Join(dst, path.Base(name)), tr); err != nil {
				return 0, err
			}
			found++
		case tar.TypeSymlink, tar.TypeLink:
			if name == want {
				return 0, fmt.Errorf("/%s is a link to %s: name the file itself", name, hdr.Linkname)
			}
		}
	}
}

func writeBinary(p string, r io.Reader) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
