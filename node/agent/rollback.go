package agent

import (
	"errors"
	"fmt"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
)

// ErrNoFallback is returned when no other good slot exists.
var ErrNoFallback = errors.New("no other good slot to boot")

// RollbackResult says what a rollback changed.
type RollbackResult struct {
	From string `json:"from"` // the slot that was the default
	To   string `json:"to"`   // the slot that is the default now
	// Version is the version the node boots next.
	Version string `json:"version"`
	// Marked is the entry file marked bad.
	Marked string `json:"marked"`
}

// Rollback makes the other good slot the default now: the default
// entry is marked bad (its tries set to 0), so systemd-boot sorts it
// below the other. Restores the static-pod manifests an upgrade swapped
// in, and reboots when asked.
func (n *Node) Rollback(reboot bool) (*RollbackResult, error) {
	d, err := ab.ReadDisk(n.Dev)
	if err != nil {
		return nil, err
	}
	def, ok := d.Default()
	if !ok {
		return nil, errors.New("nothing on this disk is bootable")
	}
	other, err := boot.OtherSlot(def.Slot())
	if err != nil {
		return nil, err
	}
	e, ok := d.EntryOf(other)
	if !ok || !ab.Good(e) || !isBootable(d, e) {
		return nil, fmt.Errorf("%w: slot %s is the default and slot %s %s", ErrNoFallback, def.Slot(), other, describe(d, e, ok))
	}
	marked, err := markBad(n.Dev, def)
	if err != nil {
		return nil, err
	}
	n.logf("slot %s (%s) marked bad as %s: slot %s (%s) boots next", def.Slot(), def.Version, marked, other, e.Version)
	if n.Live {
		if err := n.restoreManifests(); err != nil {
			return nil, err
		}
	}
	res := &RollbackResult{From: def.Slot(), To: other, Version: e.Version, Marked: marked}
	if reboot && n.Reboot != nil {
		n.logf("rebooting")
		return res, n.Reboot()
	}
	return res, nil
}

func isBootable(d ab.Disk, e boot.Entry) bool {
	for _, b := range d.Bootable() {
		if b.FileName() == e.FileName() {
			return true
		}
	}
	return false
}

func describe(d ab.Disk, e boot.Entry, ok bool) string {
	switch {
	case !ok:
		return "is empty"
	case !isBootable(d, e):
		return fmt.Sprintf("(%s) misses its kernel or initrd", e.Version)
	}
	return fmt.Sprintf("(%s) has spent its tries without being blessed", e.Version)
}

// markBad renames an entry to tries-left 0 (systemd-bless-boot bad).
func markBad(dev ab.Device, e boot.Entry) (string, error) {
	bad := e
	done := 0
	if e.Tries != nil {
		done = e.Tries.Done
	}
	bad.Tries = &boot.Tries{Left: 0, Done: done}
	if bad.FileName() == e.FileName() {
		return e.FileName(), nil
	}
	return bad.FileName(), dev.Rename(e.Path(), bad.Path())
}

// Bless marks the booted slot's entry good, as systemd-bless-boot does
// after a healthy boot: the counter leaves its file name.
func (n *Node) Bless() (string, error) {
	d, err := ab.ReadDisk(n.Dev)
	if err != nil {
		return "", err
	}
	e, ok := d.EntryOf(n.Booted)
	if !ok {
		return "", fmt.Errorf("slot %s has no boot entry", n.Booted)
	}
	if e.Blessed() {
		return e.FileName(), nil
	}
	good := e
	good.Tries = nil
	if err := n.Dev.Rename(e.Path(), good.Path()); err != nil {
		return "", err
	}
	n.logf("%s blessed as %s", e.FileName(), good.FileName())
	return good.FileName(), nil
}
