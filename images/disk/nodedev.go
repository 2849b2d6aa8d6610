package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"slices"
	"strings"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
)

// Device is a raw slipway disk image file opened for the node agent's
// offline commands (slipway node ... --disk IMG): it implements ab.Device
// over the image's ESP (FAT32, through go-diskfs plus the raw fixes at the
// end of this file) and its two slot partitions. Every method that
// changes the image fsyncs it before returning. A Device is not safe for
// concurrent use, and nothing stops another process (a QEMU running the
// image) from writing the same file.
//
// FAT entries it creates or renames carry the current time (go-diskfs
// v1.9.4 stamps them with time.Now(), or SOURCE_DATE_EPOCH when that is
// set in the environment): an upgraded image is not a reproducible-build
// artifact, unlike what Build and Personalize write.
type Device struct {
	f     *os.File
	esp   Partition
	slots map[string]Partition
}

var (
	_ ab.Device     = (*Device)(nil)
	_ ab.SlotDevice = (*slotDevice)(nil)
)

// OpenDevice opens a raw slipway disk image for the node agent's offline
// commands. It finds the ESP and the slots by GPT PARTLABEL (esp,
// slipway-a, slipway-b) and checks that the ESP is FAT32. qcow2 images
// give ErrQcow2; images without a GPT or without those partitions are
// refused.
func OpenDevice(path string) (*Device, error) {
	d, err := openDevice(path)
	if err != nil {
		return nil, fmt.Errorf("opening node disk %s: %w", path, err)
	}
	return d, nil
}

func openDevice(name string) (*Device, error) {
	if err := checkRaw(name); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	d := &Device{f: f, slots: map[string]Partition{}}
	if err := d.findPartitions(); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := d.fat(); err != nil {
		f.Close()
		return nil, fmt.Errorf("reading the ESP as FAT32: %w", err)
	}
	return d, nil
}

// findPartitions reads the GPT and picks the partitions by PARTLABEL,
// refusing any that lies outside the file.
func (d *Device) findPartitions() error {
	st, err := d.f.Stat()
	if err != nil {
		return err
	}
	dk, err := diskfs.OpenBackend(file.New(d.f, false))
	if err != nil {
		return fmt.Errorf("reading the partition table: %w", err)
	}
	t, ok := dk.Table.(*gpt.Table)
	if !ok {
		return errors.New("no GPT partition table (not a slipway disk image)")
	}
	byLabel := map[string]Partition{}
	for _, p := range t.Partitions {
		if _, dup := byLabel[p.Name]; dup && p.Name != "" {
			return fmt.Errorf("two partitions labelled %s", p.Name)
		}
		byLabel[p.Name] = partitionOf(p)
	}
	var missing []string
	for _, label := range []string{boot.LabelESP, boot.LabelSlotA, boot.LabelSlotB} {
		p, ok := byLabel[label]
		switch {
		case !ok:
			missing = append(missing, label)
			continue
		case p.Start < 0 || p.Size <= 0 || p.Start+p.Size > st.Size():
			return fmt.Errorf("partition %s (%d bytes at %d) lies outside the %d-byte image", label, p.Size, p.Start, st.Size())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no partition labelled %s (not a slipway disk image)", strings.Join(missing, ", "))
	}
	d.esp = byLabel[boot.LabelESP]
	d.slots[boot.SlotA] = byLabel[boot.LabelSlotA]
	d.slots[boot.SlotB] = byLabel[boot.LabelSlotB]
	return nil
}

// fat reads the ESP's FAT32 afresh. go-diskfs keeps the FAT in memory and
// writes all of it back on every allocation, so the raw fixes (finish) are
// made after a FileSystem's last write and the next operation reads a new
// one.
func (d *Device) fat() (fatFS, error) {
	return fat32.Read(file.New(d.f, false), d.esp.Size, d.esp.Start, sectorSize)
}

// ReadFile implements ab.Device: the content of an ESP file; names match
// case-insensitively, as on FAT. A missing file matches fs.ErrNotExist.
func (d *Device) ReadFile(name string) ([]byte, error) {
	b, err := d.readFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading ESP file %s: %w", name, err)
	}
	return b, nil
}

func (d *Device) readFile(name string) ([]byte, error) {
	p, err := espPath(name, false)
	if err != nil {
		return nil, err
	}
	fsys, err := d.fat()
	if err != nil {
		return nil, err
	}
	return readFATFile(fsys, p)
}

// readFATFile reads a whole file of the FAT filesystem with one Read:
// go-diskfs v1.9.4 mis-reads calls that start inside a cluster (so
// fs.ReadFile returns the wrong length for many sizes), and cannot open
// an empty file without a cluster (as Linux and mtools write them).
func readFATFile(fsys fatFS, p string) ([]byte, error) {
	fi, err := lookupFile(fsys, p)
	if err != nil || fi.Size() == 0 {
		return []byte{}, err
	}
	f, err := fsys.OpenFile(p, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, fi.Size())
	if n, err := f.Read(b); int64(n) != fi.Size() {
		return nil, fmt.Errorf("read %d of %d bytes: %w", n, fi.Size(), err)
	}
	return b, nil
}

// ReadDir implements ab.Device: the names of the regular files in an ESP
// directory ("" or "." is the root), sorted. A missing directory matches
// fs.ErrNotExist.
func (d *Device) ReadDir(name string) ([]string, error) {
	names, err := d.readDir(name)
	if err != nil {
		return nil, fmt.Errorf("reading ESP directory %s: %w", name, err)
	}
	return names, nil
}

func (d *Device) readDir(name string) ([]string, error) {
	p, err := espPath(name, true)
	if err != nil {
		return nil, err
	}
	fsys, err := d.fat()
	if err != nil {
		return nil, err
	}
	if p != "." {
		de, err := lookup(fsys, p)
		if err != nil {
			return nil, err
		}
		if !de.IsDir() {
			return nil, errors.New("not a directory")
		}
	}
	des, err := fsys.ReadDir(p)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, de := range des {
		if !de.IsDir() {
			names = append(names, de.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// WriteFile implements ab.Device: r's content goes to "<dir>/.<base>.tmp"
// (made afresh, the image synced), which is then renamed over name (the
// replaced file's clusters freed, the image synced). Missing directories
// are created. A failed write removes the temporary file.
func (d *Device) WriteFile(name string, r io.Reader) error {
	if err := d.writeFile(name, r); err != nil {
		return fmt.Errorf("writing ESP file %s: %w", name, err)
	}
	return nil
}

func (d *Device) writeFile(name string, r io.Reader) error {
	p, err := espPath(name, false)
	if err != nil {
		return err
	}
	tmp := path.Join(path.Dir(p), "."+path.Base(p)+".tmp")
	if err := d.writeTemp(tmp, r); err != nil {
		if rerr := d.remove(tmp); rerr != nil {
			err = errors.Join(err, fmt.Errorf("removing %s: %w", tmp, rerr))
		}
		return err
	}
	return d.replace(tmp, p)
}

// Remove implements ab.Device: the entry goes, then its clusters are
// freed (go-diskfs's Remove leaves them allocated), then the image is
// synced. A missing file is not an error.
func (d *Device) Remove(name string) error {
	p, err := espPath(name, false)
	if err == nil {
		err = d.remove(p)
	}
	if err != nil {
		return fmt.Errorf("removing ESP file %s: %w", name, err)
	}
	return nil
}

func (d *Device) remove(p string) error {
	fsys, err := d.fat()
	if err != nil {
		return err
	}
	if _, err := lookupFile(fsys, p); errors.Is(err, iofs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	chain, err := fileClusters(fsys, p)
	if err != nil {
		return err
	}
	if err := fsys.Remove(p); err != nil {
		return err
	}
	return d.finish(fatFix{free: chain})
}

// Rename implements ab.Device: oldname takes newname's place in one
// directory write, then the replaced file's clusters are freed and the
// image synced. Both must be in the same directory.
func (d *Device) Rename(oldname, newname string) error {
	o, err := espPath(oldname, false)
	if err != nil {
		return fmt.Errorf("renaming ESP file %s: %w", oldname, err)
	}
	n, err := espPath(newname, false)
	if err != nil {
		return fmt.Errorf("renaming ESP file %s: %w", oldname, err)
	}
	if err := d.replace(o, n); err != nil {
		return fmt.Errorf("renaming ESP file %s to %s: %w", oldname, newname, err)
	}
	return nil
}

func (d *Device) replace(o, n string) error {
	if !strings.EqualFold(path.Dir(o), path.Dir(n)) {
		return errors.New("not in the same directory")
	}
	fsys, err := d.fat()
	if err != nil {
		return err
	}
	if _, err := lookupFile(fsys, o); err != nil {
		return err
	}
	if strings.EqualFold(o, n) {
		if err := renameCase(fsys, o, n); err != nil {
			return err
		}
		return d.finish(fatFix{})
	}
	var replaced []uint32
	if _, err := lookupFile(fsys, n); err == nil {
		if replaced, err = fileClusters(fsys, n); err != nil {
			return err
		}
	} else if !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	// go-diskfs drops the entry named n and renames o in one directory
	// write, but leaves n's clusters allocated: they are freed after.
	if err := fsys.Rename(o, n); err != nil {
		return err
	}
	return d.finish(fatFix{free: replaced})
}

// renameCase changes only the case of a name: FAT matches names
// case-insensitively, so go-diskfs would take n for o; it goes through a
// temporary name.
func renameCase(fsys fatFS, o, n string) error {
	if o == n {
		return nil
	}
	tmp := o + ".case"
	if err := fsys.Rename(o, tmp); err != nil {
		return err
	}
	return fsys.Rename(tmp, n)
}

// Slot implements ab.Device: the slot partition ("a" or "b") as a window
// of the image file. Closing it leaves the image open.
func (d *Device) Slot(slot string) (ab.SlotDevice, error) {
	p, ok := d.slots[slot]
	if !ok {
		return nil, fmt.Errorf("opening slot %q: slots are %q and %q", slot, boot.SlotA, boot.SlotB)
	}
	return &slotDevice{f: d.f, p: p}, nil
}

// Close implements ab.Device: it closes the image file (every change is
// synced already).
func (d *Device) Close() error { return d.f.Close() }

// slotDevice is a slot partition: ReadAt and WriteAt are bounded by it.
type slotDevice struct {
	f *os.File
	p Partition
}

// ReadAt reads within the partition; reading past its end gives io.EOF.
func (s *slotDevice) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading slot %s at %d: negative offset", s.p.Label, off)
	}
	if off >= s.p.Size {
		return 0, io.EOF
	}
	if rest := s.p.Size - off; int64(len(b)) > rest {
		n, err := s.f.ReadAt(b[:rest], s.p.Start+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return s.f.ReadAt(b, s.p.Start+off)
}

// WriteAt writes within the partition; a write that would cross its end
// writes nothing and fails.
func (s *slotDevice) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off > s.p.Size || int64(len(b)) > s.p.Size-off {
		return 0, fmt.Errorf("writing %d bytes at %d: outside slot %s (%d bytes)", len(b), off, s.p.Label, s.p.Size)
	}
	return s.f.WriteAt(b, s.p.Start+off)
}

// Size is the partition's size in bytes.
func (s *slotDevice) Size() int64 { return s.p.Size }

// Sync fsyncs the image file.
func (s *slotDevice) Sync() error { return s.f.Sync() }

// Close does nothing: the image file is the Device's.
func (s *slotDevice) Close() error { return nil }

// writeTemp writes r's content to tmp, made afresh, creating tmp's
// missing directories; whatever happened, finish then fixes what
// go-diskfs left wrong.
func (d *Device) writeTemp(tmp string, r io.Reader) error {
	fsys, err := d.fat()
	if err != nil {
		return err
	}
	var fix fatFix
	err = writeFAT(fsys, tmp, r, &fix)
	return errors.Join(err, d.finish(fix))
}

// writeFAT does writeTemp's go-diskfs part and records the fixes.
func writeFAT(fsys fatFS, tmp string, r io.Reader, fix *fatFix) error {
	dir := path.Dir(tmp)
	if err := mkdirFAT(fsys, dir, fix); err != nil {
		return err
	}
	// go-diskfs v1.9.4 loses what is written to an existing file that has
	// no cluster: an old temporary file goes first.
	if _, err := lookupFile(fsys, tmp); err == nil {
		if fix.free, err = fileClusters(fsys, tmp); err != nil {
			return err
		}
		if err := fsys.Remove(tmp); err != nil {
			return err
		}
	}
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_RDWR|os.O_TRUNC)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := copyChunks(f, r)
	if err != nil || n > 0 {
		return err
	}
	// go-diskfs gives every file a cluster; fsck.fat calls one under a
	// 0-byte file an error.
	if fix.emptyDir, err = fileClusters(fsys, dir); err != nil {
		return err
	}
	chain, err := chainOf(f)
	if len(chain) > 0 {
		fix.empty = chain[0]
	}
	return err
}

// mkdirFAT creates dir and its parents; go-diskfs gives a new top-level
// directory a ".." naming the root's cluster, which finish sets to 0.
func mkdirFAT(fsys fatFS, dir string, fix *fatFix) error {
	if dir == "." {
		return nil
	}
	err := fsys.Mkdir(dir)
	top, terr := fileClusters(fsys, strings.SplitN(dir, "/", 2)[0])
	if len(top) > 0 {
		fix.dotdot = top[0]
	}
	if err != nil {
		return err
	}
	if terr != nil || len(top) == 0 {
		return fmt.Errorf("finding directory %s: %w", dir, terr)
	}
	return nil
}

// espChunk is how much WriteFile hands go-diskfs at a time: every Write
// rewrites both FATs and the directory, so few large writes are fast.
const espChunk = 8 << 20

// maxFATFile is the largest file FAT32 holds.
const maxFATFile = 1<<32 - 1

// copyChunks copies r to w in espChunk writes.
func copyChunks(w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, espChunk)
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if total += int64(n); total > maxFATFile {
			return total, fmt.Errorf("more than %d bytes, the most a FAT32 file holds", int64(maxFATFile))
		}
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return total, nil
		case err != nil:
			return total, err
		}
	}
}

// espPath cleans a slash-separated ESP path ("/" prefix allowed); "" and
// "." name the root, which only dir accepts.
func espPath(name string, dir bool) (string, error) {
	p := strings.TrimPrefix(path.Clean("/"+name), "/")
	if p == "" {
		p = "."
	}
	if strings.Contains(name, "\\") || (p == "." && !dir) {
		return "", fmt.Errorf("invalid ESP path %q: %w", name, iofs.ErrInvalid)
	}
	return p, nil
}

// lookup finds p on the ESP, matching each component case-insensitively
// as FAT does; a missing component gives fs.ErrNotExist.
func lookup(fsys fatFS, p string) (iofs.DirEntry, error) {
	dir := "."
	var found iofs.DirEntry
	for _, c := range strings.Split(p, "/") {
		if found != nil && !found.IsDir() {
			return nil, &iofs.PathError{Op: "open", Path: p, Err: iofs.ErrNotExist}
		}
		des, err := fsys.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		found = nil
		for _, de := range des {
			if strings.EqualFold(de.Name(), c) {
				found = de
				break
			}
		}
		if found == nil {
			return nil, &iofs.PathError{Op: "open", Path: p, Err: iofs.ErrNotExist}
		}
		dir = path.Join(dir, found.Name())
	}
	return found, nil
}

// lookupFile is lookup for a regular file.
func lookupFile(fsys fatFS, p string) (iofs.FileInfo, error) {
	de, err := lookup(fsys, p)
	if err != nil {
		return nil, err
	}
	if de.IsDir() {
		return nil, fmt.Errorf("%s is a directory", p)
	}
	return de.Info()
}

// fileClusters returns the clusters of p ("." is the root directory);
// none for an empty file without a cluster.
func fileClusters(fsys fatFS, p string) ([]uint32, error) {
	f, err := fsys.OpenFile(p, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return chainOf(f)
}

// chainOf is an open file's cluster chain; none for an empty file
// without a cluster (as Linux and mtools write them), which go-diskfs
// reports as an invalid chain.
func chainOf(f filesystem.File) ([]uint32, error) {
	ff, ok := f.(interface{ GetClusterChain() ([]uint32, error) })
	if !ok {
		return nil, errors.New("not a FAT file")
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	chain, err := ff.GetClusterChain()
	if (err != nil && fi.Size() == 0) || len(chain) == 0 || chain[0] < 2 {
		return nil, nil
	}
	return chain, err
}

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
