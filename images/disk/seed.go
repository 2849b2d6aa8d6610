package disk

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
)

// seed derives every identifier of an image (disk and partition GUIDs, FAT
// serial, ext4 UUID and hash seed, erofs UUID) from the version and the
// epoch, so that the same input gives the same bytes and two versions
// never share identifiers.
type seed struct {
	version string
	epoch   time.Time
}

// sum is sha256("slipway\0" version "\0" epoch-seconds "\0" label).
func (s seed) sum(label string) [32]byte {
	msg := "slipway\x00" + s.version + "\x00" + strconv.FormatInt(s.epoch.Unix(), 10) + "\x00" + label
	return sha256.Sum256([]byte(msg))
}

// uuid is an RFC 9562 version 8 (name-based, custom hash) UUID, upper case
// like go-diskfs and sgdisk print GUIDs.
func (s seed) uuid(label string) string {
	b := s.sum(label)
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// serial is a 32-bit volume serial number.
func (s seed) serial(label string) uint32 {
	b := s.sum(label)
	return binary.LittleEndian.Uint32(b[:4])
}
