package sources

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// maxEntrySize bounds one unpacked file (1 GiB): archives of binaries
// never need more, and a lying header must not fill the disk.
const maxEntrySize = 1 << 30

// unpack extracts the regular files of a .tar.gz into the cache, named by
// their base names, and returns them. Absolute paths, '..' and entries
// other than files and directories are refused.
func (f *Fetcher) unpack(archive string) ([]Binary, error) {
	digest, err := fileutil.SHA256(archive)
	if err != nil {
		return nil, err
	}
	dst := filepath.Join(f.CacheDir, "unpacked", digest)
	if _, err := os.Stat(dst); err == nil {
		return dirBinaries(dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".unpack-*")
	if err != nil {
		return nil, fmt.Errorf("unpacking %s: %w", archive, err)
	}
	defer os.RemoveAll(tmp)
	if err := extract(archive, tmp); err != nil {
		return nil, fmt.Errorf("unpacking %s: %w", archive, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("caching %s: %w", archive, err)
	}
	return dirBinaries(dst)
}

func extract(archive, dir string) error {
	fh, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := checkEntry(hdr); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue // directories: files are flattened to their base names
		}
		if err := writeEntry(tr, filepath.Join(dir, path.Base(hdr.Name)), hdr.Size); err != nil {
			return err
		}
	}
}

func checkEntry(hdr *tar.Header) error {
	name := hdr.Name
	switch {
	case path.IsAbs(name) || strings.Contains("/"+name+"/", "/../"):
		return fmt.Errorf("%w %q: path escapes the archive", errUnsafeEntry, name)
	case hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeDir:
		return fmt.Errorf("%w %q: only files and directories are allowed", errUnsafeEntry, name)
	case hdr.Size > maxEntrySize:
		return fmt.Errorf("%w %q: %d bytes is over the %d limit", errUnsafeEntry, name, hdr.Size, maxEntrySize)
	}
	return nil
}

func writeEntry(r io.Reader, dst string, size int64) error {
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	_, err = io.CopyN(out, r, size)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
