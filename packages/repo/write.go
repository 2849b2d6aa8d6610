package repo

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// file is one metadata file to publish, named relative to the repository
// root.
type file struct {
	name string
	data []byte
}

// publish writes files under dir. Each file is first written and synced under
// a temporary name beside its final one; only when all are written are they
// renamed into place, in the given order, so readers see either the old or
// the new version of each file and a failure before the renames changes no
// final name. Temporary files are removed on error.
func publish(ctx context.Context, dir string, files []file) (err error) {
	temps := make([]string, 0, len(files))
	defer func() {
		if err != nil {
			for _, t := range temps {
				_ = os.Remove(t)
			}
		}
	}()
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		tmp, err := writeTemp(filepath.Join(dir, f.name), f.data)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dirs := map[string]bool{}
	for i, f := range files {
		final := filepath.Join(dir, f.name)
		if err := os.Rename(temps[i], final); err != nil {
			return fmt.Errorf("renaming %s into place: %w", f.name, err)
		}
		dirs[filepath.Dir(final)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// writeTemp writes data to a new temporary file next to final, mode 0644,
// synced to disk, and returns its name.
func writeTemp(final string, data []byte) (name string, err error) {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("creating temporary file for %s: %w", final, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := f.Chmod(0o644); err != nil {
		return "", fmt.Errorf("setting mode of %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("syncing %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("closing %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// syncDir flushes a directory's entries (the renames) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// removeStale deletes the named files under dir, ignoring missing ones.
func removeStale(dir string, names ...string) error {
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale %s: %w", n, err)
		}
	}
	return nil
}

// listPackages returns the names of the regular files (or symlinks to them)
// in dir ending in ext, sorted.
func listPackages(dir, ext string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing packages: %w", err)
	}
	var names []string
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ext || e.Name()[0] == '.' {
			continue
		}
		st, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("listing packages: %w", err)
		}
		if st.Mode().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// gzipBytes compresses data reproducibly: best compression, and a gzip
// header with no file name and a zero modification time.
func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("compressing: %w", err)
	}
	if _, err := zw.Write(data); err != nil {
		return nil, fmt.Errorf("compressing: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing: %w", err)
	}
	return buf.Bytes(), nil
}
