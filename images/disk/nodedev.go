package disk

import (
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
// over the image's ESP (FAT32, through go-diskfs plus the raw fixes of
// nodefat.go) and its two slot partitions (nodeslot.go). Every method that
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
