package drill

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
)

// ErrPowerCut is what every write returns once the power is cut.
var ErrPowerCut = errors.New("power cut")

// Cut is where the power goes during an upgrade: at its Op-th write
// (counting from 0; the writes before it completed and were synced).
// With SlotBytes >= 0 the cut falls inside the slot write after that many
// bytes, and with Garble the bytes written since the last sync are lost
// to garbage. With Torn the cut falls inside an ESP file write: the
// temporary file is written, the rename never happens.
type Cut struct {
	Op int
	// At, when set, places the cut at the first write of that operation
	// instead of the Op-th write, whatever the order the writes come in.
	At        *ab.Op
	SlotBytes int64
	Garble    bool
	Torn      bool
}

func (c Cut) String() string {
	if c.At != nil {
		return c.At.String()
	}
	switch {
	case c.SlotBytes >= 0 && c.Garble:
		return fmt.Sprintf("write %d, slot at %d bytes, unsynced bytes lost", c.Op, c.SlotBytes)
	case c.SlotBytes >= 0:
		return fmt.Sprintf("write %d, slot at %d bytes", c.Op, c.SlotBytes)
	case c.Torn:
		return fmt.Sprintf("write %d, ESP temp file written, not renamed", c.Op)
	}
	return fmt.Sprintf("before write %d", c.Op)
}

// TornSuffix ends the name of the temporary file a torn ESP write
// leaves beside its target (a dot file, as the real writer's are).
const TornSuffix = ".cut"

// CutDevice passes writes to a Device until the power cut at At; every
// write after it fails with ErrPowerCut, as if the machine were off.
type CutDevice struct {
	ab.Device
	At  Cut
	ops int
	cut bool
}

// next counts a write, the op it carries out, and says whether the
// power goes now or went before.
func (d *CutDevice) next(op ab.Op) (now bool, err error) {
	if d.At.At != nil {
		switch {
		case d.cut:
			return false, ErrPowerCut
		case op.Kind == d.At.At.Kind && op.Path == d.At.At.Path && op.Slot == d.At.At.Slot:
			d.cut = true
			return true, nil
		}
		return false, nil
	}
	d.ops++
	switch {
	case d.ops-1 < d.At.Op:
		return false, nil
	case d.ops-1 == d.At.Op:
		return true, nil
	}
	return false, ErrPowerCut
}

// WriteFile implements ab.Device.
func (d *CutDevice) WriteFile(name string, r io.Reader) error {
	op := ab.Op{Kind: ab.WriteFile, Path: name}
	if path.Dir(name) == boot.EntriesDir {
		op.Kind = ab.WriteEntry
	}
	now, err := d.next(op)
	if err != nil {
		return err
	}
	if !now {
		return d.Device.WriteFile(name, r)
	}
	if d.At.Torn {
		if err := d.Device.WriteFile(TornName(name), r); err != nil {
			return err
		}
	}
	return ErrPowerCut
}

// TornName is the temporary file a torn write of name leaves.
func TornName(name string) string {
	return path.Join(path.Dir(name), "."+path.Base(name)+TornSuffix)
}

// Remove implements ab.Device.
func (d *CutDevice) Remove(name string) error {
	if now, err := d.next(ab.Op{Kind: ab.RemoveEntry, Path: name}); err != nil || now {
		return ErrPowerCut
	}
	return d.Device.Remove(name)
}

// Rename implements ab.Device.
func (d *CutDevice) Rename(o, n string) error {
	if now, err := d.next(ab.Op{Kind: "rename", Path: o}); err != nil || now {
		return ErrPowerCut
	}
	return d.Device.Rename(o, n)
}

// Slot implements ab.Device: opening a slot for the write counts as the
// write.
func (d *CutDevice) Slot(slot string) (ab.SlotDevice, error) {
	now, err := d.next(ab.Op{Kind: ab.WriteSlot, Slot: slot})
	if err != nil {
		return nil, err
	}
	s, err := d.Device.Slot(slot)
	if err != nil || !now {
		return s, err
	}
	if d.At.SlotBytes < 0 {
		s.Close()
		return nil, ErrPowerCut
	}
	return &cutSlot{SlotDevice: s, left: d.At.SlotBytes, garble: d.At.Garble}, nil
}

// cutSlot writes until left bytes are written, then loses power.
type cutSlot struct {
	ab.SlotDevice
	left           int64
	garble         bool
	unsyncedOffset int64
	unsyncedLen    int64
}

func (s *cutSlot) WriteAt(b []byte, off int64) (int, error) {
	n := min(int64(len(b)), s.left)
	if n > 0 {
		if _, err := s.SlotDevice.WriteAt(b[:n], off); err != nil {
			return 0, err
		}
		if s.unsyncedLen == 0 {
			s.unsyncedOffset = off
		}
		s.unsyncedLen = off + n - s.unsyncedOffset
	}
	s.left -= n
	if int(n) < len(b) {
		if s.garble && s.unsyncedLen > 0 {
			junk := make([]byte, s.unsyncedLen)
			rand.Read(junk)
			s.SlotDevice.WriteAt(junk, s.unsyncedOffset)
		}
		return int(n), ErrPowerCut
	}
	return len(b), nil
}

func (s *cutSlot) Sync() error {
	s.unsyncedLen = 0
	return s.SlotDevice.Sync()
}
