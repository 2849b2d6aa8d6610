package early

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrUnknownFS is returned by DetectFS for a superblock it does not know.
var ErrUnknownFS = errors.New("unknown filesystem")

// Superblock magics: squashfs at 0 ("hsqs"), erofs at 1024, ext2/3/4 at
// 1024+56.
const (
	squashfsMagic = 0x73717368
	erofsMagic    = 0xe0f5e1e2
	extMagic      = 0xef53
)

// DetectFS names the filesystem on a device from its superblock:
// "squashfs", "erofs" or "ext4" (which mounts ext2 and ext3 too).
func DetectFS(r io.ReaderAt) (string, error) {
	buf := make([]byte, 2048)
	n, err := r.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the superblock: %w", err)
	}
	buf = buf[:n]
	le32 := func(off int) uint32 {
		if len(buf) < off+4 {
			return 0
		}
		return binary.LittleEndian.Uint32(buf[off:])
	}
	switch {
	case le32(0) == squashfsMagic:
		return "squashfs", nil
	case le32(1024) == erofsMagic:
		return "erofs", nil
	case uint16(le32(1024+56)) == extMagic:
		return "ext4", nil
	}
	head := buf[:min(len(buf), 8)]
	return "", fmt.Errorf("%w (first bytes % x)", ErrUnknownFS, head)
}
