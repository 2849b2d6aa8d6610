package ab

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Live is the Device of a running node: the ESP mounted at a directory
// (/efi) and the slots' block devices.
type Live struct {
	ESP   string            // the ESP's mount point
	Slots map[string]string // slot -> block device
}

var _ Device = (*Live)(nil)

func (l *Live) path(name string) (string, error) {
	clean := path.Clean("/" + name)
	if clean == "/" || strings.Contains(name, "\\") {
		return "", fmt.Errorf("invalid ESP path %q", name)
	}
	return filepath.Join(l.ESP, filepath.FromSlash(clean)), nil
}

// ReadFile implements Device.
func (l *Live) ReadFile(name string) ([]byte, error) {
	p, err := l.path(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// ReadDir implements Device.
func (l *Live) ReadDir(name string) ([]string, error) {
	p, err := l.path(name)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// WriteFile implements Device: a temporary file beside name, synced,
// renamed over it, and the directory synced.
func (l *Live) WriteFile(name string, r io.Reader) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".slipway-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return err
	}
	return syncDir(dir)
}

// Remove implements Device.
func (l *Live) Remove(name string) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(p))
}

// Rename implements Device.
func (l *Live) Rename(oldname, newname string) error {
	o, err := l.path(oldname)
	if err != nil {
		return err
	}
	n, err := l.path(newname)
	if err != nil {
		return err
	}
	if err := os.Rename(o, n); err != nil {
		return err
	}
	return syncDir(filepath.Dir(n))
}

// Slot implements Device.
func (l *Live) Slot(slot string) (SlotDevice, error) {
	dev, ok := l.Slots[slot]
	if !ok {
		return nil, fmt.Errorf("no device for slot %q", slot)
	}
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileSlot{File: f, size: size}, nil
}

// Close implements Device.
func (l *Live) Close() error { return nil }

type fileSlot struct {
	*os.File
	size int64
}

func (s *fileSlot) Size() int64 { return s.size }

func (s *fileSlot) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > s.size {
		return 0, fmt.Errorf("writing %d bytes at %d: past the end of the slot (%d bytes)", len(b), off, s.size)
	}
	return s.File.WriteAt(b, off)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func errorsIsNotExist(err error) bool {
	return err != nil && (os.IsNotExist(err) || err == fs.ErrNotExist)
}
