package ab

import (
	"github.com/slipway-dev/slipway/node/boot"
)

// Apply returns the disk after op completed and was synced.
func (d Disk) Apply(op Op) Disk {
	c := d.Clone()
	switch op.Kind {
	case RemoveEntry:
		c.Entries = c.Entries[:0]
		for _, e := range d.Entries {
			if e.Path() != op.Path {
				c.Entries = append(c.Entries, e)
			}
		}
	case WriteSlot:
		c.Slots[op.Slot] = op.Version
	case WriteFile:
		c.Files[op.Path] = op.Version
	case WriteEntry:
		c = c.Apply(Op{Kind: RemoveEntry, Path: op.Entry.Path()})
		c.Entries = append(c.Entries, op.Entry)
	}
	return c
}

// Cut returns the disk after a power cut during op: the renames and
// removals of the ESP either happened or not (they are atomic), so a cut
// leaves it as before; a slot write leaves the slot torn.
func (d Disk) Cut(op Op) Disk {
	if op.Kind == WriteSlot {
		c := d.Clone()
		c.Slots[op.Slot] = Torn
		return c
	}
	return d.Clone()
}

// Bootable are the entries systemd-boot shows: those whose kernel and
// initrd exist on the ESP.
func (d Disk) Bootable() []boot.Entry {
	var out []boot.Entry
	for _, e := range d.Entries {
		if _, ok := d.Files[trim(e.Linux)]; !ok {
			continue
		}
		if _, ok := d.Files[trim(e.Initrd)]; !ok {
			continue
		}
		out = append(out, e)
	}
	return out
}

func trim(p string) string {
	if len(p) > 0 && p[0] == '/' {
		return p[1:]
	}
	return p
}

// Boot is what firmware and systemd-boot do on power-on: pick the default
// among the bootable entries, count a try on an entry that is being
// assessed (renaming +N-M to +N-1-M+1), and report the entry and whether
// what it boots is consistent: the slot and the kernel and initrd all hold
// the entry's version. ok is false when nothing is bootable.
func (d Disk) Boot() (next Disk, e boot.Entry, consistent, ok bool) {
	e, ok = boot.SelectDefault(d.Loader, d.Bootable())
	if !ok {
		return d, e, false, false
	}
	next = d.Clone()
	if e.Tries != nil && e.Tries.Left > 0 {
		tried := e
		tried.Tries = &boot.Tries{Left: e.Tries.Left - 1, Done: e.Tries.Done + 1}
		next = next.Apply(Op{Kind: RemoveEntry, Path: e.Path()})
		next.Entries = append(next.Entries, tried)
	}
	slot := e.Slot()
	consistent = d.Slots[slot] == e.Version && d.Files[trim(e.Linux)] == e.Version && d.Files[trim(e.Initrd)] == e.Version
	return next, e, consistent, true
}

// Bless marks the entry of a slot good (systemd-bless-boot: the counter
// is dropped from the file name).
func (d Disk) Bless(slot string) Disk {
	c := d.Clone()
	for i, e := range c.Entries {
		if e.Slot() == slot {
			c.Entries[i].Tries = nil
		}
	}
	return c
}
