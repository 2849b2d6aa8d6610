package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// fatFix is what go-diskfs v1.9.4 leaves wrong on the ESP, set right by
// finish on the raw image.
type fatFix struct {
	free     []uint32 // clusters no entry references any more
	dotdot   uint32   // first cluster of a new top-level directory
	emptyDir []uint32 // clusters of the directory holding an empty file,
	empty    uint32   // whose cluster is set to 0 and freed
}

// finish ends an operation once go-diskfs is done: it fixes fix's
// directory entries (the empty file's cluster joins fix.free), marks the
// FSInfo free count unknown (go-diskfs never updates it) and syncs, then
// frees the clusters no entry references any more and syncs again. Freeing only once the entries are on disk
// means a crash leaks clusters (fsck.fat reclaims them) but never leaves
// an entry pointing at free ones.
func (d *Device) finish(fix fatFix) error {
	l, err := readFATLayout(d.f, d.esp.Start)
	if err != nil {
		return err
	}
	free := fix.free
	if fix.dotdot != 0 {
		if err := l.fixDotDot(d.f, fix.dotdot); err != nil {
			return err
		}
	}
	if fix.empty != 0 {
		if err := l.detach(d.f, fix.emptyDir, fix.empty); err != nil {
			return err
		}
		free = append(slices.Clip(free), fix.empty)
	}
	if err := l.unknownFree(d.f); err != nil {
		return err
	}
	if err := d.f.Sync(); err != nil || len(free) == 0 {
		return err
	}
	if err := l.free(d.f, free); err != nil {
		return err
	}
	return d.f.Sync()
}

// fatLayout is where a FAT32's tables and FSInfo sectors are.
type fatLayout struct {
	fatGeom
	fats    int64 // number of FAT copies
	fatSize int64 // bytes per FAT
	fsInfo  int64 // sector of the FSInfo, 0 if none
}

func readFATLayout(r io.ReaderAt, start int64) (fatLayout, error) {
	g, err := readFATGeom(r, start)
	if err != nil {
		return fatLayout{}, err
	}
	b := make([]byte, 512)
	if _, err := r.ReadAt(b, start); err != nil {
		return fatLayout{}, err
	}
	l := fatLayout{fatGeom: g, fats: int64(b[0x10]), fatSize: int64(le32(b[0x24:])) * g.bps}
	l.fsInfo = int64(binary.LittleEndian.Uint16(b[0x30:]))
	if l.fats == 0 || l.fatSize == 0 {
		return fatLayout{}, errors.New("reading FAT boot sector: no FAT")
	}
	return l, nil
}

// free marks clusters free in every FAT copy.
func (l fatLayout) free(rw readWriterAt, clusters []uint32) error {
	fat := make([]byte, l.fatSize)
	if _, err := rw.ReadAt(fat, l.start+l.fatOff); err != nil {
		return fmt.Errorf("reading the FAT: %w", err)
	}
	for _, c := range clusters {
		if c < 2 || int64(c)*4+4 > l.fatSize {
			return fmt.Errorf("freeing cluster %d: outside the FAT", c)
		}
		e := fat[c*4:]
		binary.LittleEndian.PutUint32(e, le32(e)&0xF0000000) // the top 4 bits are reserved
	}
	for i := range l.fats {
		if _, err := rw.WriteAt(fat, l.start+l.fatOff+i*l.fatSize); err != nil {
			return fmt.Errorf("writing FAT %d: %w", i+1, err)
		}
	}
	return nil
}

// unknownFree sets the FSInfo sectors' free cluster count to unknown
// (0xFFFFFFFF), which the FAT spec allows and fsck.fat accepts, so no
// stale count survives go-diskfs's writes and ours.
func (l fatLayout) unknownFree(rw readWriterAt) error {
	if l.fsInfo == 0 {
		return nil
	}
	sectors := []int64{l.fsInfo}
	if l.backupBoot != 0 {
		sectors = append(sectors, l.backupBoot+l.fsInfo)
	}
	b := make([]byte, 4)
	for _, s := range sectors {
		off := l.start + s*l.bps
		sig := make([]byte, 4)
		if _, err := rw.ReadAt(sig, off); err != nil {
			return err
		}
		if _, err := rw.ReadAt(b, off+488); err != nil {
			return err
		}
		if le32(sig) != 0x41615252 || le32(b) == 0xFFFFFFFF {
			continue
		}
		if _, err := rw.WriteAt([]byte{0xFF, 0xFF, 0xFF, 0xFF}, off+488); err != nil {
			return fmt.Errorf("writing FSInfo: %w", err)
		}
	}
	return nil
}

// dirent calls fn with each 32-byte short entry (no long-name parts, no
// deleted entries) of the directory in clusters, writing back the
// clusters fn changed; fn returns whether it changed the entry.
func (l fatLayout) dirent(rw readWriterAt, clusters []uint32, fn func(e []byte) bool) error {
	for _, c := range clusters {
		buf := make([]byte, l.cluster)
		off := l.start + l.dataOff + int64(c-2)*l.cluster
		if _, err := rw.ReadAt(buf, off); err != nil {
			return err
		}
		changed, end := false, false
		for i := 0; i+32 <= len(buf) && !end; i += 32 {
			e := buf[i : i+32]
			end = e[0] == 0x00
			if !end && e[0] != 0xE5 && e[11]&0x3F != 0x0F {
				changed = fn(e) || changed
			}
		}
		if changed {
			if _, err := rw.WriteAt(buf, off); err != nil {
				return err
			}
		}
		if end {
			return nil
		}
	}
	return nil
}

// entryCluster is a short entry's first cluster.
func entryCluster(e []byte) uint32 {
	return uint32(binary.LittleEndian.Uint16(e[20:]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:]))
}

// fixDotDot sets ".." of the directory at cluster to 0 when it names the
// root's cluster: go-diskfs writes the root's cluster, the FAT spec and
// fsck.fat want 0.
func (l fatLayout) fixDotDot(rw readWriterAt, cluster uint32) error {
	return l.dirent(rw, []uint32{cluster}, func(e []byte) bool {
		if string(e[:11]) != "..         " || entryCluster(e) != l.rootClus {
			return false
		}
		clear(e[20:22])
		clear(e[26:28])
		return true
	})
}

// detach sets the first cluster of the empty file entry starting at
// cluster c, in the directory at dir, to 0.
func (l fatLayout) detach(rw readWriterAt, dir []uint32, c uint32) error {
	found := false
	err := l.dirent(rw, dir, func(e []byte) bool {
		if found || entryCluster(e) != c || le32(e[28:]) != 0 || e[11]&0x18 != 0 {
			return false
		}
		clear(e[20:22])
		clear(e[26:28])
		found = true
		return true
	})
	if err == nil && !found {
		err = fmt.Errorf("no empty file at cluster %d", c)
	}
	return err
}
