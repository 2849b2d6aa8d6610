package disk

import (
	"fmt"

	"github.com/slipway-dev/slipway/node/boot"
)

// Result describes a built image: what `slipway disk build --json` prints.
type Result struct {
	Path string `json:"path"`
	// Size is the image's apparent size; Allocated what it takes on disk.
	Size       int64       `json:"size"`
	Allocated  int64       `json:"allocated"`
	Version    string      `json:"version"`
	Arch       string      `json:"arch"`
	DiskGUID   string      `json:"diskGUID"`
	Partitions []Partition `json:"partitions"`
	// Slot is slot a's filesystem: type, size and sha256 digest (the same
	// bytes an update payload of this version carries).
	Slot SlotImage `json:"slot"`
	// Entry is the boot entry written for slot a.
	Entry boot.Entry `json:"entry"`
	// ESP lists the files on the ESP with their sizes.
	ESP []File `json:"esp"`
}

// File is a file on the ESP.
type File struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// SlotSizeError reports a slot filesystem bigger than its slot: sizes in
// bytes.
type SlotSizeError struct {
	Slot     string
	FS       string
	Size     int64
	SlotSize int64
}

// Error names the slot, both sizes and the spec field to raise.
func (e *SlotSizeError) Error() string {
	return fmt.Sprintf("slot %s: %s is %s (%d MiB), the slot is %s (%d MiB); raise spec.os.disk.slot",
		e.Slot, e.FS, humanSize(e.Size), (e.Size+MiB-1)/MiB, humanSize(e.SlotSize), e.SlotSize/MiB)
}
