package disk

import (
	"fmt"
	"os"
	"path/filepath"
)

// imageFile is an image being written: a temp file beside its final path,
// renamed into place by commit and removed by discard otherwise, so no
// half-written image is ever visible under its final name.
type imageFile struct {
	f     *os.File
	tmp   string
	final string
	done  bool
}

// newImageFile creates the temp file with the given apparent size (a hole).
func newImageFile(final string, size int64) (*imageFile, error) {
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary image: %w", err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("sizing temporary image: %w", err)
	}
	return &imageFile{f: f, tmp: f.Name(), final: final}, nil
}

// commit syncs the image, gives it mode perm and renames it into place.
func (i *imageFile) commit(perm os.FileMode) error {
	if err := i.f.Chmod(perm); err != nil {
		return fmt.Errorf("setting image mode: %w", err)
	}
	if err := i.f.Sync(); err != nil {
		return fmt.Errorf("syncing image: %w", err)
	}
	if err := i.f.Close(); err != nil {
		return fmt.Errorf("closing image: %w", err)
	}
	if err := os.Rename(i.tmp, i.final); err != nil {
		return fmt.Errorf("renaming image into place: %w", err)
	}
	i.done = true
	syncDir(filepath.Dir(i.final))
	return nil
}

// discard removes the temp file unless commit succeeded; defer it.
func (i *imageFile) discard() {
	if !i.done {
		i.f.Close()
		os.Remove(i.tmp)
	}
}

// syncDir makes a rename durable; errors are ignored (not every
// filesystem can sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
