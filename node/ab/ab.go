// Package ab plans A/B upgrades (DESIGN.md "A/B upgrade protocol") as pure
// decisions: from what is on a disk and which slot booted, the ordered
// writes that move the other slot to a new version, each one synced before
// the next. Disk is the model of everything that decides what boots, so
// the protocol's invariant (after a power cut at any instant the disk
// boots a slot whose content matches its entry) is checked here, for every
// prefix of a plan and for cuts inside the slot write, without I/O. The
// writer that carries out a plan on a disk file or a node lives beside it.
package ab

import (
	"errors"
	"fmt"

	"github.com/slipway-dev/slipway/node/boot"
)

// Torn is the content of a slot whose write was cut short.
const Torn = "(torn)"

// Disk is what decides booting: loader.conf, the entries and files on the
// ESP, and the version each slot holds ("" empty, Torn half-written).
// Files map an ESP path to the version of its content.
type Disk struct {
	Loader  boot.Loader
	Entries []boot.Entry
	Files   map[string]string
	Slots   map[string]string
}

// Fresh is the model of a disk built by slipway disk build: slot a holds
// version, blessed, slot b empty.
func Fresh(version string) Disk {
	e := boot.SlotEntry(boot.SlotA, version, boot.DefaultCmdline)
	return Disk{
		Loader:  boot.DefaultLoader(),
		Entries: []boot.Entry{e},
		Files:   map[string]string{boot.KernelPath(boot.SlotA): version, boot.InitrdPath(boot.SlotA): version},
		Slots:   map[string]string{boot.SlotA: version, boot.SlotB: ""},
	}
}

// Clone returns a deep copy.
func (d Disk) Clone() Disk {
	c := Disk{Loader: d.Loader, Entries: append([]boot.Entry(nil), d.Entries...), Files: map[string]string{}, Slots: map[string]string{}}
	for k, v := range d.Files {
		c.Files[k] = v
	}
	for k, v := range d.Slots {
		c.Slots[k] = v
	}
	return c
}

// OpKind is one kind of synced write.
type OpKind string

// The writes of an upgrade, in the protocol's order.
const (
	RemoveEntry OpKind = "remove-entry" // delete an entry file; sync the ESP
	WriteSlot   OpKind = "write-slot"   // stream the payload into a slot; sync; verify
	WriteFile   OpKind = "write-file"   // kernel or initrd: temp file + rename; sync
	WriteEntry  OpKind = "write-entry"  // the new entry: temp file + rename; sync
)

// Op is one write.
type Op struct {
	Kind    OpKind
	Path    string     // RemoveEntry, WriteFile, WriteEntry: the ESP path
	Slot    string     // WriteSlot
	Version string     // WriteSlot, WriteFile: the content's version
	Entry   boot.Entry // WriteEntry
}

func (o Op) String() string {
	switch o.Kind {
	case WriteSlot:
		return fmt.Sprintf("%s %s (%s)", o.Kind, o.Slot, o.Version)
	case WriteFile:
		return fmt.Sprintf("%s %s (%s)", o.Kind, o.Path, o.Version)
	}
	return fmt.Sprintf("%s %s", o.Kind, o.Path)
}

// Plan is an upgrade from the active slot to the target slot.
type Plan struct {
	Active, Target string
	Version        string
	Ops            []Op
}

// ErrUnknownSlot is returned when the booted slot is not a or b.
var ErrUnknownSlot = errors.New("unknown booted slot")

// PlanUpgrade returns the writes that install version in the slot that
// did not boot: remove every entry that points at it, write the slot,
// then its kernel and initrd, and only then its entry, with
// boot.DefaultTries tries, so it is bootable last and falls back to the
// active slot by itself if it never gets blessed.
func PlanUpgrade(d Disk, booted, version, cmdline string) (Plan, error) {
	target, err := boot.OtherSlot(booted)
	if err != nil {
		return Plan{}, fmt.Errorf("%w: %q", ErrUnknownSlot, booted)
	}
	p := Plan{Active: booted, Target: target, Version: version}
	for _, e := range d.Entries {
		if e.Slot() == target {
			p.Ops = append(p.Ops, Op{Kind: RemoveEntry, Path: e.Path()})
		}
	}
	e := boot.SlotEntry(target, version, cmdline)
	e.Tries = &boot.Tries{Left: boot.DefaultTries}
	p.Ops = append(p.Ops,
		Op{Kind: WriteSlot, Slot: target, Version: version},
		Op{Kind: WriteFile, Path: boot.KernelPath(target), Version: version},
		Op{Kind: WriteFile, Path: boot.InitrdPath(target), Version: version},
		Op{Kind: WriteEntry, Path: e.Path(), Entry: e},
	)
	return p, nil
}
