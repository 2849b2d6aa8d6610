package ab

import (
	"io"
)

// Device is the I/O an upgrade needs on one node disk: the files of its
// ESP and its two slot partitions. A live node's Device is the ESP
// mounted at /efi and the slot block devices; a disk image file's is
// provided by the build side (slipway node --disk), since node code links
// no filesystem writer. Every method that changes the disk has completed
// and is synced when it returns, which is what the protocol's "each step
// is synced before the next" rests on.
type Device interface {
	// ReadFile returns the content of an ESP file. name is slash
	// separated and relative to the ESP's root
	// ("loader/entries/slipway-a.conf"). A missing file gives an error
	// matching fs.ErrNotExist.
	ReadFile(name string) ([]byte, error)
	// ReadDir returns the names of the regular files in an ESP
	// directory, sorted. A missing directory gives an error matching
	// fs.ErrNotExist.
	ReadDir(name string) ([]string, error)
	// WriteFile replaces an ESP file with r's content atomically: a
	// temporary file in the same directory, synced, then renamed over
	// name. Missing parent directories are created.
	WriteFile(name string, r io.Reader) error
	// Remove deletes an ESP file; a missing file is not an error.
	Remove(name string) error
	// Rename renames an ESP file within its directory, replacing newname.
	Rename(oldname, newname string) error
	// Slot opens a slot partition ("a" or "b") for reading and writing.
	Slot(slot string) (SlotDevice, error)
	// Close releases the device.
	Close() error
}

// SlotDevice is a slot partition.
type SlotDevice interface {
	io.ReaderAt
	io.WriterAt
	// Size is the partition's size in bytes.
	Size() int64
	// Sync flushes written data to stable storage.
	Sync() error
	Close() error
}
