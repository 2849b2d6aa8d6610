package disk

import (
	"errors"
	"fmt"

	"github.com/slipway-dev/slipway/node/boot"
)

// Size units.
const (
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

// Partition type GUIDs (UEFI ESP and the Discoverable Partitions
// Specification).
const (
	TypeESP        = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	TypeRootX86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
	TypeRootARM64  = "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"
	TypeVar        = "4D21B016-B534-45C2-A9FB-5C16E091FD2D"
)

// typeNames names the partition types Inspect reports.
var typeNames = map[string]string{
	TypeESP:        "EFI System",
	TypeRootX86_64: "Linux root (x86-64)",
	TypeRootARM64:  "Linux root (ARM64)",
	TypeVar:        "Linux variable data",
}

// Layout is the size in bytes of the ESP, of each root slot and of STATE.
// Zero fields take DefaultLayout's value; sizes are whole MiB.
type Layout struct {
	ESP   int64 `json:"esp"`
	Slot  int64 `json:"slot"`
	State int64 `json:"state"`
}

// DefaultLayout is 512 MiB for the ESP, 2 GiB per slot and 1 GiB for STATE.
func DefaultLayout() Layout { return Layout{ESP: 512 * MiB, Slot: 2 * GiB, State: 1 * GiB} }

// Minimum sizes: FAT32 needs 65525 clusters (512-byte clusters below
// 260 MiB), ext4 with a journal a few MiB.
const (
	minESP   = 40 * MiB
	minSlot  = 1 * MiB
	minState = 16 * MiB
)

// align is the partition alignment; the first partition starts there and
// the backup GPT sits in the last one.
const align = MiB

func (l Layout) withDefaults() Layout {
	d := DefaultLayout()
	if l.ESP == 0 {
		l.ESP = d.ESP
	}
	if l.Slot == 0 {
		l.Slot = d.Slot
	}
	if l.State == 0 {
		l.State = d.State
	}
	return l
}

func (l Layout) validate() error {
	var errs []error
	for _, s := range []struct {
		name      string
		size, min int64
	}{{"esp", l.ESP, minESP}, {"slot", l.Slot, minSlot}, {"state", l.State, minState}} {
		switch {
		case s.size%MiB != 0:
			errs = append(errs, fmt.Errorf("layout.%s: %d bytes is not a whole number of MiB", s.name, s.size))
		case s.size < s.min:
			errs = append(errs, fmt.Errorf("layout.%s: %s is below the minimum of %s", s.name, humanSize(s.size), humanSize(s.min)))
		}
	}
	return errors.Join(errs...)
}

// Partition is one GPT partition: byte offsets, type and GUIDs as written.
type Partition struct {
	Number   int    `json:"number"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	TypeName string `json:"typeName"`
	GUID     string `json:"guid"`
	Start    int64  `json:"start"`
	Size     int64  `json:"size"`
}

// plan lays the partitions out back to back from 1 MiB and returns them
// with the disk size (one MiB more at the end for the backup GPT). GUIDs
// come from seed.
func (l Layout) plan(rootType string, s seed) ([]Partition, int64) {
	parts := []Partition{
		{Label: boot.LabelESP, Type: TypeESP, Size: l.ESP},
		{Label: boot.LabelSlotA, Type: rootType, Size: l.Slot},
		{Label: boot.LabelSlotB, Type: rootType, Size: l.Slot},
		{Label: boot.LabelState, Type: TypeVar, Size: l.State},
	}
	off := align
	for i := range parts {
		p := &parts[i]
		p.Number, p.Start, p.TypeName = i+1, off, typeNames[p.Type]
		p.GUID = s.uuid("partition " + p.Label)
		off += p.Size
	}
	return parts, off + align
}

// humanSize prints bytes in the largest binary unit that keeps one
// decimal meaningful: 2 GiB, 2.3 GiB, 640 MiB, 12 KiB, 100 B.
func humanSize(n int64) string {
	units := []struct {
		name string
		size int64
	}{{"GiB", GiB}, {"MiB", MiB}, {"KiB", 1 << 10}}
	for _, u := range units {
		if n >= u.size {
			v := float64(n) / float64(u.size)
			if n%u.size == 0 {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", v, u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}
