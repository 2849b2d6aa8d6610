package disk

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/fat32"

	"github.com/slipway-dev/slipway/node/boot"
)

// espLabel is the ESP's FAT volume label.
const espLabel = "ESP"

// espFile is one file on the ESP: copied from src, or data.
type espFile struct {
	path string
	src  string
	data []byte
}

// espFiles lists what a fresh disk's ESP holds, in the order written.
func espFiles(in Input) []espFile {
	a := arches[in.Arch]
	e := boot.SlotEntry(boot.SlotA, in.Version, in.Cmdline)
	files := []espFile{
		{path: "EFI/BOOT/" + a.efiName, src: in.Bootloader},
		{path: "EFI/systemd/" + a.sdboot, src: in.Bootloader},
		{path: boot.LoaderPath, data: boot.DefaultLoader().Marshal()},
		{path: e.Path(), data: e.Marshal()},
		{path: boot.KernelPath(boot.SlotA), src: in.Kernel},
		{path: boot.InitrdPath(boot.SlotA), src: in.Initrd},
	}
	if len(in.Ignition) > 0 {
		files = append(files, espFile{path: boot.IgnitionPath, data: in.Ignition})
	}
	return files
}

// writeESP makes the FAT32 ESP in partition p of f and writes files, then
// fixes its serial and times (see fatstamp.go).
func writeESP(f *os.File, p Partition, files []espFile, serial uint32, epoch time.Time) error {
	if err := checkESPRoom(p, files); err != nil {
		return err
	}
	fs, err := fat32.Create(file.New(f, false), p.Size, p.Start, 512, espLabel, true)
	if err != nil {
		return fmt.Errorf("creating FAT32 on the ESP: %w", err)
	}
	for _, ef := range files {
		if err := writeFATFile(fs, ef); err != nil {
			return fmt.Errorf("writing %s on the ESP: %w", ef.path, err)
		}
	}
	if err := patchFATBoot(f, p.Start, serial, uint32(p.Start/sectorSize)); err != nil {
		return err
	}
	return stampFAT(f, p.Start, epoch)
}

// checkESPRoom fails with the numbers when the files cannot fit (counting
// each file rounded up to 4 KiB clusters, plus 1 MiB for FATs and
// directories).
func checkESPRoom(p Partition, files []espFile) error {
	need := MiB
	for _, ef := range files {
		n := int64(len(ef.data))
		if ef.src != "" {
			st, err := os.Stat(ef.src)
			if err != nil {
				return err
			}
			n = st.Size()
		}
		need += (n + 4095) &^ 4095
	}
	if need > p.Size {
		return fmt.Errorf("esp: the files need %s, the ESP is %s; raise spec.os.disk.esp", humanSize(need), humanSize(p.Size))
	}
	return nil
}

// writeFATFile creates (or truncates) ef.path, making its directories.
func writeFATFile(fs filesystem.FileSystem, ef espFile) error {
	if err := fs.Mkdir(path.Dir(ef.path)); err != nil {
		return err
	}
	out, err := fs.OpenFile(ef.path, os.O_CREATE|os.O_RDWR|os.O_TRUNC)
	if err != nil {
		return err
	}
	defer out.Close()
	var in io.Reader
	if ef.src != "" {
		src, err := os.Open(ef.src)
		if err != nil {
			return err
		}
		defer src.Close()
		in = src
	} else {
		in = bytes.NewReader(ef.data)
	}
	// go-diskfs rewrites both FATs on every Write: big chunks keep that rare.
	_, err = io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, make([]byte, 8*MiB))
	return err
}
