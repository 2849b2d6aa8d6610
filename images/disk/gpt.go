package disk

import (
	"fmt"
	"os"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"
)

// sectorSize is the logical sector size of the images.
const sectorSize = 512

// writeGPT writes the protective MBR and both GPTs for parts to f.
func writeGPT(f *os.File, size int64, diskGUID string, parts []Partition) error {
	t := &gpt.Table{
		LogicalSectorSize:  sectorSize,
		PhysicalSectorSize: sectorSize,
		ProtectiveMBR:      true,
		GUID:               diskGUID,
	}
	for _, p := range parts {
		t.Partitions = append(t.Partitions, &gpt.Partition{
			Index: p.Number,
			Start: uint64(p.Start / sectorSize),
			End:   uint64((p.Start+p.Size)/sectorSize - 1),
			Size:  uint64(p.Size),
			Type:  gpt.Type(p.Type),
			Name:  p.Label,
			GUID:  p.GUID,
		})
	}
	w, err := file.New(f, false).Writable()
	if err != nil {
		return err
	}
	if err := t.Write(w, size); err != nil {
		return fmt.Errorf("writing the partition table: %w", err)
	}
	return nil
}
