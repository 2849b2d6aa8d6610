package ab

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/slipway-dev/slipway/node/boot"
)

// ReadDisk reads what decides booting from a device's ESP: loader.conf,
// the entries, and which of the files the entries name exist. Slot
// contents are not read: a slot's version is the version of the entry
// that points at it. Files maps the existing kernel and initrd paths the
// entries name to "present".
func ReadDisk(dev Device) (Disk, error) {
	d := Disk{Loader: boot.DefaultLoader(), Files: map[string]string{}, Slots: map[string]string{}}
	b, err := dev.ReadFile(boot.LoaderPath)
	switch {
	case err == nil:
		if d.Loader, err = boot.ParseLoader(b); err != nil {
			return Disk{}, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return Disk{}, fmt.Errorf("reading %s: %w", boot.LoaderPath, err)
	}
	names, err := dev.ReadDir(boot.EntriesDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Disk{}, fmt.Errorf("listing %s: %w", boot.EntriesDir, err)
	}
	for _, n := range names {
		if !strings.HasSuffix(strings.ToLower(n), ".conf") || strings.HasPrefix(n, ".") {
			continue
		}
		p := path.Join(boot.EntriesDir, n)
		b, err := dev.ReadFile(p)
		if err != nil {
			return Disk{}, fmt.Errorf("reading %s: %w", p, err)
		}
		e, err := boot.ParseEntry(n, b)
		if err != nil {
			return Disk{}, err
		}
		d.Entries = append(d.Entries, e)
		if s := e.Slot(); s != "" {
			d.Slots[s] = e.Version
		}
		for _, f := range []string{trim(e.Linux), trim(e.Initrd)} {
			if f == "" {
				continue
			}
			if _, err := dev.ReadDir(path.Dir(f)); err != nil {
				continue
			}
			if exists(dev, f) {
				d.Files[f] = "present"
			}
		}
	}
	return d, nil
}

func exists(dev Device, name string) bool {
	names, err := dev.ReadDir(path.Dir(name))
	if err != nil {
		return false
	}
	base := path.Base(name)
	for _, n := range names {
		if strings.EqualFold(n, base) {
			return true
		}
	}
	return false
}

// EntryOf returns the entry pointing at slot, if any.
func (d Disk) EntryOf(slot string) (boot.Entry, bool) {
	for _, e := range d.Entries {
		if e.Slot() == slot {
			return e, true
		}
	}
	return boot.Entry{}, false
}

// Default is the entry systemd-boot boots next, if any is bootable.
func (d Disk) Default() (boot.Entry, bool) {
	return boot.SelectDefault(d.Loader, d.Bootable())
}

// Good reports whether an entry may still boot as a fallback: blessed,
// or being assessed with tries left.
func Good(e boot.Entry) bool { return e.Tries == nil || e.Tries.Left > 0 }
