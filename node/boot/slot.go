package boot

import (
	"fmt"
	"strings"
)

// The two root slots.
const (
	SlotA = "a"
	SlotB = "b"
)

// Partition labels (PARTLABEL), the names slipway-init and node/ find
// partitions by.
const (
	LabelESP   = "esp"
	LabelSlotA = "slipway-a"
	LabelSlotB = "slipway-b"
	LabelState = "slipway-state"
)

// DefaultTries is the boot counter an upgrade writes on a new entry
// (<id>+3.conf): three boots to get blessed before systemd-boot falls back.
const DefaultTries = 3

// DefaultCmdline is the kernel command line after slipway.slot=: a console
// on the screen and on the first serial port.
const DefaultCmdline = "console=tty0 console=ttyS0,115200n8"

// SlotParam is the kernel parameter naming the slot to mount as root.
const SlotParam = "slipway.slot="

// SlotFromCmdline returns the value of the last slipway.slot= on a kernel
// command line (as /proc/cmdline or an entry's options hold it), or "".
func SlotFromCmdline(cmdline string) string {
	slot := ""
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, SlotParam); ok {
			slot = v
		}
	}
	return slot
}

// EntryID is a slot's entry ID: slipway-<slot>.
func EntryID(slot string) string { return "slipway-" + slot }

// IgnitionPath is where a node's Ignition config sits on the ESP: read on
// first boot (ignition -platform file) and deleted afterwards.
const IgnitionPath = "slipway/config.ign"

// SlotLabel is a slot's PARTLABEL: slipway-<slot>.
func SlotLabel(slot string) string { return "slipway-" + slot }

// KernelPath is where a slot's kernel lives on the ESP: slipway/<slot>/vmlinuz.
func KernelPath(slot string) string { return "slipway/" + slot + "/vmlinuz" }

// InitrdPath is where a slot's initramfs lives on the ESP: slipway/<slot>/initrd.
func InitrdPath(slot string) string { return "slipway/" + slot + "/initrd" }

// OtherSlot returns the slot that is not slot.
func OtherSlot(slot string) (string, error) {
	switch slot {
	case SlotA:
		return SlotB, nil
	case SlotB:
		return SlotA, nil
	}
	return "", fmt.Errorf("unknown slot %q: slots are %q and %q", slot, SlotA, SlotB)
}

// SlotEntry is the blessed entry booting slot with the given version and
// kernel command line (DefaultCmdline when empty):
//
//	title slipway <version> (slot <slot>)
//	version <version>
//	sort-key slipway
//	linux /slipway/<slot>/vmlinuz
//	initrd /slipway/<slot>/initrd
//	options slipway.slot=<slot> <cmdline>
//
// An upgrade sets Tries to &Tries{Left: DefaultTries} before writing it.
func SlotEntry(slot, version, cmdline string) Entry {
	if cmdline = strings.TrimSpace(cmdline); cmdline == "" {
		cmdline = DefaultCmdline
	}
	return Entry{
		ID:      EntryID(slot),
		Title:   fmt.Sprintf("slipway %s (slot %s)", version, slot),
		Version: version,
		SortKey: "slipway",
		Linux:   "/" + KernelPath(slot),
		Initrd:  "/" + InitrdPath(slot),
		Options: SlotParam + slot + " " + cmdline,
	}
}

// SlotFromPath returns the slot of an ESP path under slipway/SLOT/, or "".
func SlotFromPath(p string) string {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(p, "/"), "slipway/")
	if !ok {
		return ""
	}
	slot, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return slot
}
