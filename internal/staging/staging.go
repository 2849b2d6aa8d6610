// Package staging writes a directory's new content beside it and moves it
// into place only when complete, so a failed run leaves the directory as it
// was and no half-written artifact is ever visible under its final name.
package staging

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir is a staging directory for one output directory.
type Dir struct {
	// Path is where to write; it sits beside the output directory so that
	// renames stay on one filesystem.
	Path string
	out  string
	done bool
}

// New creates a staging directory for out. out itself is not created.
func New(out string) (*Dir, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("resolving output directory: %w", err)
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("output %s exists and is not a directory", out)
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(abs)+".slipway-*")
	if err != nil {
		return nil, fmt.Errorf("creating staging directory: %w", err)
	}
	return &Dir{Path: tmp, out: abs}, nil
}

// Commit moves everything staged into the output directory, replacing
// files of the same name and merging directories, then removes the
// staging directory.
func (d *Dir) Commit() error {
	if err := os.MkdirAll(d.out, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	if err := moveTree(d.Path, d.out); err != nil {
		return fmt.Errorf("moving artifacts into %s: %w", d.out, err)
	}
	d.done = true
	return os.RemoveAll(d.Path)
}

// Abort removes the staging directory unless Commit succeeded; defer it.
func (d *Dir) Abort() {
	if !d.done {
		os.RemoveAll(d.Path)
	}
}

// moveTree renames the entries of src into dst, descending into
// directories that exist on both sides.
func moveTree(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if st, err := os.Lstat(to); err == nil && st.IsDir() && e.IsDir() {
			if err := moveTree(from, to); err != nil {
				return err
			}
			continue
		}
		if err := os.Rename(from, to); err != nil {
			return err
		}
	}
	return nil
}
