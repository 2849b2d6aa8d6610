package disk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Filesystem types FSInfo reports besides FSSquashfs and FSErofs.
const (
	FSExt4    = "ext4"
	FSVfat    = "vfat"
	FSEmpty   = "empty"
	FSUnknown = "unknown"
)

// FSInfo is what a partition's superblock says: the filesystem type
// (FSEmpty when the first 64 KiB are zero), its size in bytes and, where
// the type has them, its UUID (FAT: the volume serial) and label.
type FSInfo struct {
	Type  string `json:"type"`
	Size  int64  `json:"size,omitempty"`
	UUID  string `json:"uuid,omitempty"`
	Label string `json:"label,omitempty"`
}

// probeSize is how much of a partition probeFS reads.
const probeSize = 64 << 10

// probeFS reads the superblock at off.
func probeFS(r io.ReaderAt, off int64) FSInfo {
	b := make([]byte, probeSize)
	n, _ := r.ReadAt(b, off)
	b = b[:n]
	for _, p := range []func([]byte) (FSInfo, bool){probeSquashfs, probeErofs, probeExt4, probeFAT32} {
		if fi, ok := p(b); ok {
			return fi
		}
	}
	if len(b) > 0 && bytes.Count(b, []byte{0}) == len(b) {
		return FSInfo{Type: FSEmpty}
	}
	return FSInfo{Type: FSUnknown}
}

func probeSquashfs(b []byte) (FSInfo, bool) {
	if len(b) < 96 || string(b[:4]) != "hsqs" {
		return FSInfo{}, false
	}
	return FSInfo{Type: FSSquashfs, Size: int64(le64(b[40:]))}, true
}

func probeErofs(b []byte) (FSInfo, bool) {
	const sb = 1024
	if len(b) < sb+128 || le32(b[sb:]) != 0xE0F5E1E2 {
		return FSInfo{}, false
	}
	size := int64(le32(b[sb+36:])) << b[sb+12]
	return FSInfo{Type: FSErofs, Size: size, UUID: uuidString(b[sb+48 : sb+64]), Label: cString(b[sb+64 : sb+80])}, true
}

func probeExt4(b []byte) (FSInfo, bool) {
	const sb = 1024
	if len(b) < sb+1024 || binary.LittleEndian.Uint16(b[sb+0x38:]) != 0xEF53 {
		return FSInfo{}, false
	}
	blocks := uint64(le32(b[sb+0x04:]))
	if le32(b[sb+0x60:])&0x80 != 0 { // INCOMPAT_64BIT
		blocks |= uint64(le32(b[sb+0x150:])) << 32
	}
	size := int64(blocks) << (10 + le32(b[sb+0x18:]))
	return FSInfo{Type: FSExt4, Size: size, UUID: uuidString(b[sb+0x68 : sb+0x78]), Label: cString(b[sb+0x78 : sb+0x88])}, true
}

func probeFAT32(b []byte) (FSInfo, bool) {
	if len(b) < 512 || b[510] != 0x55 || b[511] != 0xAA || string(b[0x52:0x5A]) != "FAT32   " {
		return FSInfo{}, false
	}
	size := int64(le32(b[0x20:])) * int64(binary.LittleEndian.Uint16(b[0x0B:]))
	serial := le32(b[0x43:])
	return FSInfo{
		Type:  FSVfat,
		Size:  size,
		UUID:  fmt.Sprintf("%04X-%04X", serial>>16, serial&0xffff),
		Label: strings.TrimRight(string(b[0x47:0x52]), " "),
	}, true
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// uuidString formats 16 bytes in on-disk order, as blkid prints ext4 and
// erofs UUIDs.
func uuidString(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
