package drill

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/payload"
)

// Content is what an entry of a version must find: its slot filesystem
// (the first Slot.Size bytes of the slot), kernel and initrd.
type Content struct {
	Slot, Kernel, Initrd payload.Blob
}

// Versions maps a version to its content.
type Versions map[string]Content

// Consistent checks the protocol's invariant on dev: the default entry,
// and every good entry systemd-boot falls back to, finds its version's
// slot filesystem, kernel and initrd. It returns the default entry.
func Consistent(dev ab.Device, versions Versions) (boot.Entry, error) {
	d, err := ab.ReadDisk(dev)
	if err != nil {
		return boot.Entry{}, err
	}
	def, ok := d.Default()
	if !ok {
		return boot.Entry{}, errors.New("nothing is bootable")
	}
	var problems []error
	for _, e := range d.Bootable() {
		if e.FileName() != def.FileName() && !ab.Good(e) {
			continue
		}
		want, ok := versions[e.Version]
		if !ok {
			problems = append(problems, fmt.Errorf("entry %s names version %q, which was never installed", e.FileName(), e.Version))
			continue
		}
		got, err := SlotDigest(dev, e.Slot(), want.Slot.Size)
		if err != nil {
			return def, err
		}
		if got != want.Slot.Digest {
			problems = append(problems, fmt.Errorf("%s boots slot %s, which does not hold %s (%s)", e.FileName(), e.Slot(), e.Version, short(got)))
		}
		for name, b := range map[string]payload.Blob{boot.KernelPath(e.Slot()): want.Kernel, boot.InitrdPath(e.Slot()): want.Initrd} {
			data, err := dev.ReadFile(name)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: %s: %w", e.FileName(), name, err))
			} else if digest(data) != b.Digest {
				problems = append(problems, fmt.Errorf("%s: %s does not hold %s's", e.FileName(), name, e.Version))
			}
		}
	}
	return def, errors.Join(problems...)
}

// SlotDigest is the sha256 of the first size bytes of a slot.
func SlotDigest(dev ab.Device, slot string, size int64) (string, error) {
	s, err := dev.Slot(slot)
	if err != nil {
		return "", err
	}
	defer s.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(s, 0, size)); err != nil {
		return "", fmt.Errorf("reading slot %s: %w", slot, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// installed reads the content of the version an entry boots from the
// disk itself: its kernel and initrd, and its slot filesystem, whose
// size a squashfs superblock gives (rounded up to 4 KiB, as mksquashfs
// pads); another filesystem is taken as the whole partition.
func installed(dev ab.Device, e boot.Entry) (Content, error) {
	var c Content
	s, err := dev.Slot(e.Slot())
	if err != nil {
		return c, err
	}
	size := s.Size()
	sb := make([]byte, 48)
	if _, err := s.ReadAt(sb, 0); err == nil && string(sb[:4]) == "hsqs" {
		if used := int64(binary.LittleEndian.Uint64(sb[40:])); used > 0 && used <= size {
			size = min((used+4095)&^4095, size)
		}
	}
	s.Close()
	c.Slot.Size = size
	if c.Slot.Digest, err = SlotDigest(dev, e.Slot(), size); err != nil {
		return c, err
	}
	for name, b := range map[string]*payload.Blob{boot.KernelPath(e.Slot()): &c.Kernel, boot.InitrdPath(e.Slot()): &c.Initrd} {
		data, err := dev.ReadFile(name)
		if err != nil {
			return c, err
		}
		*b = payload.Blob{Size: int64(len(data)), Digest: digest(data)}
	}
	return c, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
