package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// go-diskfs v1.9.4 stamps FAT directory entries with time.Now() (or the
// process-wide SOURCE_DATE_EPOCH variable, which a library must not set)
// and writes volume serial 0 when asked to be reproducible. So after
// writing the ESP with go-diskfs, stampFAT walks the FAT32 directory tree
// itself and sets the create, write and access times of every entry
// (".", ".." and the volume label included) to one time, and patchFATBoot
// fixes the boot sector. FAT has no checksums over these fields.

type readWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// fatGeom is what stampFAT needs from a FAT32 boot sector.
type fatGeom struct {
	start      int64 // of the filesystem in the file
	bps        int64 // bytes per sector
	cluster    int64 // bytes per cluster
	fatOff     int64 // first FAT, from start
	dataOff    int64 // cluster 2, from start
	rootClus   uint32
	backupBoot int64 // sector of the backup boot sector, 0 if none
}

func readFATGeom(r io.ReaderAt, start int64) (fatGeom, error) {
	b := make([]byte, 512)
	if _, err := r.ReadAt(b, start); err != nil {
		return fatGeom{}, fmt.Errorf("reading FAT boot sector: %w", err)
	}
	if _, ok := probeFAT32(b); !ok {
		return fatGeom{}, errors.New("reading FAT boot sector: not FAT32")
	}
	g := fatGeom{start: start, bps: int64(binary.LittleEndian.Uint16(b[0x0B:]))}
	reserved := int64(binary.LittleEndian.Uint16(b[0x0E:]))
	g.cluster = g.bps * int64(b[0x0D])
	g.fatOff = reserved * g.bps
	g.dataOff = g.fatOff + int64(b[0x10])*int64(le32(b[0x24:]))*g.bps
	g.rootClus = le32(b[0x2C:])
	g.backupBoot = int64(binary.LittleEndian.Uint16(b[0x32:]))
	if g.bps == 0 || g.cluster == 0 {
		return fatGeom{}, errors.New("reading FAT boot sector: zero sector or cluster size")
	}
	return g, nil
}

// patchFATBoot fixes what go-diskfs v1.9.4's fat32.Create gets wrong or
// leaves out, in the boot sector and its backup: the volume serial (0 when
// reproducible), the hidden sectors (0; mkfs.fat writes the partition's
// first LBA) and, for some sizes (64 MiB: 129024 clusters for 129022 FAT
// entries), a total sector count that leaves more data clusters than the
// FAT has entries, which fsck.fat refuses: the count is lowered to what
// the FAT covers (at most a few clusters; go-diskfs never allocates them).
func patchFATBoot(w readWriterAt, start int64, serial uint32, hidden uint32) error {
	g, err := readFATGeom(w, start)
	if err != nil {
		return err
	}
	b := make([]byte, 512)
	if _, err := w.ReadAt(b, start); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(b[0x43:], serial)
	binary.LittleEndian.PutUint32(b[0x1C:], hidden)
	spc, dataStart := int64(b[0x0D]), g.dataOff/g.bps
	entries := int64(le32(b[0x24:]))*g.bps/4 - 2
	if clusters := (int64(le32(b[0x20:])) - dataStart) / spc; clusters > entries {
		binary.LittleEndian.PutUint32(b[0x20:], uint32(dataStart+entries*spc))
	}
	for _, sector := range []int64{0, g.backupBoot} {
		if _, err := w.WriteAt(b, start+sector*g.bps); err != nil {
			return fmt.Errorf("writing FAT boot sector: %w", err)
		}
		if g.backupBoot == 0 {
			break
		}
	}
	return nil
}

// stampFAT sets every directory entry's times to t (clamped to what FAT
// can hold, 1980 to 2107, in UTC, 2-second steps for write times).
func stampFAT(rw readWriterAt, start int64, t time.Time) error {
	g, err := readFATGeom(rw, start)
	if err != nil {
		return err
	}
	s := &fatStamper{g: g, rw: rw, ts: fatTime(t), seen: map[uint32]bool{}}
	if err := s.dir(g.rootClus); err != nil {
		return fmt.Errorf("stamping FAT times: %w", err)
	}
	return nil
}

type fatStamper struct {
	g    fatGeom
	rw   readWriterAt
	ts   fatTimestamp
	seen map[uint32]bool
}

// dir stamps the entries of the directory starting at cluster, then its
// subdirectories.
func (s *fatStamper) dir(cluster uint32) error {
	chain, err := s.chain(cluster)
	if err != nil {
		return err
	}
	var subdirs []uint32
	for _, c := range chain {
		buf := make([]byte, s.g.cluster)
		off := s.g.start + s.g.dataOff + int64(c-2)*s.g.cluster
		if _, err := s.rw.ReadAt(buf, off); err != nil {
			return err
		}
		found, end := s.entries(buf)
		subdirs = append(subdirs, found...)
		if _, err := s.rw.WriteAt(buf, off); err != nil {
			return err
		}
		if end {
			break
		}
	}
	for _, c := range subdirs {
		if err := s.dir(c); err != nil {
			return err
		}
	}
	return nil
}

// entries stamps the 32-byte entries in buf and returns the first
// clusters of the subdirectories found (not "." and ".."), and whether the
// end-of-directory marker was reached.
func (s *fatStamper) entries(buf []byte) (subdirs []uint32, end bool) {
	for i := 0; i+32 <= len(buf); i += 32 {
		e := buf[i : i+32]
		if e[0] == 0x00 {
			return subdirs, true
		}
		if e[0] == 0xE5 || e[11]&0x3F == 0x0F { // deleted, long name
			continue
		}
		s.ts.put(e)
		c := uint32(binary.LittleEndian.Uint16(e[20:]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:]))
		if string(e[:11]) == "..         " && c == s.g.rootClus {
			// The FAT spec (and fsck.fat) want cluster 0 for the root in
			// "..", go-diskfs writes the root's cluster.
			clear(e[20:22])
			clear(e[26:28])
		}
		if e[11]&0x10 != 0 && e[0] != '.' && c >= 2 && !s.seen[c] {
			s.seen[c] = true
			subdirs = append(subdirs, c)
		}
	}
	return subdirs, false
}

// chain follows the FAT from cluster to the end-of-chain marker.
func (s *fatStamper) chain(cluster uint32) ([]uint32, error) {
	var out []uint32
	b := make([]byte, 4)
	for c := cluster; c >= 2 && c < 0x0FFFFFF8; {
		if len(out) > 1<<16 {
			return nil, fmt.Errorf("directory cluster chain from %d does not end", cluster)
		}
		out = append(out, c)
		if _, err := s.rw.ReadAt(b, s.g.start+s.g.fatOff+int64(c)*4); err != nil {
			return nil, err
		}
		c = le32(b) & 0x0FFFFFFF
	}
	return out, nil
}

// fatTimestamp is a time in FAT's encoding.
type fatTimestamp struct {
	date, time uint16
	tenths     byte
}

func fatTime(t time.Time) fatTimestamp {
	t = t.UTC()
	lo, hi := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	if t.Before(lo) {
		t = lo
	}
	if t.After(hi) {
		t = hi
	}
	return fatTimestamp{
		date:   uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day()),
		time:   uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2),
		tenths: byte(t.Second()%2) * 100,
	}
}

// put writes the timestamp into a directory entry: creation time (13-17),
// access date (18), write time (22-25).
func (f fatTimestamp) put(e []byte) {
	e[13] = f.tenths
	binary.LittleEndian.PutUint16(e[14:], f.time)
	binary.LittleEndian.PutUint16(e[16:], f.date)
	binary.LittleEndian.PutUint16(e[18:], f.date)
	binary.LittleEndian.PutUint16(e[22:], f.time)
	binary.LittleEndian.PutUint16(e[24:], f.date)
}
