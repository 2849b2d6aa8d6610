package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/disk"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/slipway-dev/slipway/node/boot"
)

// ErrQcow2 is returned by Inspect and Personalize for qcow2 images: they
// read raw images only (qemu-img convert -O raw converts back).
var ErrQcow2 = errors.New("qcow2 image: only raw images can be read (qemu-img convert -O raw IMG OUT)")

// Info is what Inspect reads from an image: `slipway disk inspect --json`.
type Info struct {
	Path       string          `json:"path"`
	Size       int64           `json:"size"`
	DiskGUID   string          `json:"diskGUID"`
	Partitions []PartitionInfo `json:"partitions"`
	// Loader is loader.conf; nil when the ESP has none.
	Loader *boot.Loader `json:"loader,omitempty"`
	// Entries are the boot entries in systemd-boot's menu order.
	Entries []EntryInfo `json:"entries"`
	// Default is the entry systemd-boot boots when no EFI variable says
	// otherwise (boot.SelectDefault over the bootable entries); nil if none.
	Default *EntryInfo `json:"default,omitempty"`
	// Files are the ESP's files, sorted by path.
	Files []File `json:"files"`
	// Ignition reports whether slipway/config.ign is on the ESP.
	Ignition bool `json:"ignition"`
}

// PartitionInfo is a partition and what its superblock says.
type PartitionInfo struct {
	Partition
	Filesystem FSInfo `json:"filesystem"`
}

// EntryInfo is a boot entry as found on the ESP.
type EntryInfo struct {
	File  string     `json:"file"`
	Entry boot.Entry `json:"entry"`
	// Slot is the slot it boots (slipway.slot=).
	Slot string `json:"slot"`
	// Blessed: no boot counter. TriesLeft is the counter's LEFT (-1 when
	// blessed); 0 means systemd-boot sorts it last.
	Blessed   bool `json:"blessed"`
	TriesLeft int  `json:"triesLeft"`
	// Bootable: its kernel exists (systemd-boot drops entries whose kernel
	// is missing). Missing lists the missing kernel and initrd.
	Bootable bool     `json:"bootable"`
	Missing  []string `json:"missing,omitempty"`
}

// Inspect reads an image without writing to it: the partitions and their
// filesystems, loader.conf, the boot entries (sorted and the default
// picked as systemd-boot 252 does), the ESP's files and whether an
// Ignition config is there. Raw images only: qcow2 gives ErrQcow2.
func Inspect(ctx context.Context, path string) (*Info, error) {
	info, err := inspect(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", path, err)
	}
	return info, nil
}

func inspect(ctx context.Context, path string) (*Info, error) {
	if err := checkRaw(path); err != nil {
		return nil, err
	}
	d, err := diskfs.Open(path, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	t, ok := d.Table.(*gpt.Table)
	if !ok {
		return nil, errors.New("no GPT partition table")
	}
	info := &Info{Path: path, Size: d.Size, DiskGUID: strings.ToUpper(t.GUID), Entries: []EntryInfo{}, Files: []File{}}
	for _, p := range t.Partitions {
		info.Partitions = append(info.Partitions, PartitionInfo{partitionOf(p), probeFS(d.Backend, p.GetStart())})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	esp, ok := findESP(info.Partitions)
	if !ok {
		return info, nil
	}
	return info, readESP(d, esp.Number, info)
}

// checkRaw refuses qcow2 images (magic "QFI\xfb").
func checkRaw(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err == nil && string(magic) == "QFI\xfb" {
		return ErrQcow2
	}
	return nil
}

func partitionOf(p *gpt.Partition) Partition {
	typ := strings.ToUpper(string(p.Type))
	name := typeNames[typ]
	if name == "" {
		name = "unknown"
	}
	return Partition{
		Number: p.Index, Label: p.Name, Type: typ, TypeName: name,
		GUID: strings.ToUpper(p.GUID), Start: p.GetStart(), Size: p.GetSize(),
	}
}

func findESP(parts []PartitionInfo) (PartitionInfo, bool) {
	for _, p := range parts {
		if p.Type == TypeESP {
			return p, true
		}
	}
	return PartitionInfo{}, false
}

// openESP opens partition n's FAT32.
func openESP(d *disk.Disk, n int) (fatFS, error) {
	fs, err := d.GetFilesystem(n)
	if err != nil {
		return nil, fmt.Errorf("reading the ESP: %w", err)
	}
	ffs, ok := fs.(fatFS)
	if !ok {
		return nil, fmt.Errorf("reading the ESP: not FAT32")
	}
	return ffs, nil
}
