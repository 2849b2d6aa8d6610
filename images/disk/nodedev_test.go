package disk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	iofs "io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slipway-dev/slipway/node/boot"
)

// mtoolsEnv lets mtools read an image whose geometry it would question.
var mtoolsEnv = []string{"MTOOLS_SKIP_CHECK=1"}

func openDev(t *testing.T, img string) *Device {
	t.Helper()
	d, err := OpenDevice(img)
	must(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func randomBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func devWrite(t *testing.T, d *Device, name string, b []byte) {
	t.Helper()
	if err := d.WriteFile(name, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
}

// mtoolsFiles lists the ESP's files with mdir and reads each with mtype:
// what another FAT implementation sees.
func mtoolsFiles(t *testing.T, img string, esp Partition) map[string]string {
	t.Helper()
	spec := mtoolsImg(img, esp)
	out := map[string]string{}
	for _, line := range strings.Split(cmd(t, mtoolsEnv, "mdir", "-/", "-b", "-i", spec, "::"), "\n") {
		if line == "" || strings.HasSuffix(line, "/") {
			continue
		}
		out[strings.TrimPrefix(line, "::/")] = cmd(t, mtoolsEnv, "mtype", "-i", spec, line)
	}
	return out
}

// fsckESP runs fsck.fat -n on a copy of the ESP; it fails the test on any
// error, lost cluster or wrong free count.
func fsckESP(t *testing.T, img string, esp Partition) {
	t.Helper()
	out := cmd(t, nil, "fsck.fat", "-n", "-v", extractSparse(t, img, esp.Start, esp.Size))
	for _, bad := range []string{"lost", "Reclaim", "wrong", "Invalid", "Truncat", "Free cluster summary wrong"} {
		if strings.Contains(out, bad) {
			t.Fatalf("fsck.fat -n: %q in\n%s", bad, out)
		}
	}
}

// extractSparse copies the data regions among n bytes at off of img into
// a new sparse temp file (extract writes every zero of a 512 MiB ESP).
func extractSparse(t *testing.T, img string, off, n int64) string {
	t.Helper()
	src, err := os.Open(img)
	must(t, err)
	defer src.Close()
	dst, err := os.CreateTemp(t.TempDir(), "part-*")
	must(t, err)
	defer dst.Close()
	must(t, dst.Truncate(n))
	for pos := off; pos < off+n; {
		data, err := unix.Seek(int(src.Fd()), pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) || data >= off+n {
			break
		}
		must(t, err)
		hole, err := unix.Seek(int(src.Fd()), data, unix.SEEK_HOLE)
		must(t, err)
		hole = min(hole, off+n)
		must(t, copyRange(context.Background(), dst, src, data-off, data, hole-data))
		pos = hole
	}
	return dst.Name()
}

func TestDeviceReadsWhatInspectReports(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	in := fixture(t)
	img, res := buildImage(t, in)
	info, err := Inspect(context.Background(), img)
	must(t, err)
	d := openDev(t, img)
	names, err := d.ReadDir(boot.EntriesDir)
	must(t, err)
	var want []string
	for _, e := range info.Entries {
		want = append(want, filepath.Base(e.File))
	}
	if !slices.Equal(names, want) {
		t.Errorf("ReadDir(entries) = %v, Inspect %v", names, want)
	}
	b, err := d.ReadFile(info.Entries[0].File)
	must(t, err)
	if e, err := boot.ParseEntry(names[0], b); err != nil || e != info.Entries[0].Entry || e != res.Entry {
		t.Errorf("entry %q (%v), Inspect %+v", b, err, info.Entries[0].Entry)
	}
	kernel, err := os.ReadFile(in.Kernel)
	must(t, err)
	if b, err := d.ReadFile("/" + boot.KernelPath(boot.SlotA)); err != nil || !bytes.Equal(b, kernel) {
		t.Errorf("kernel: %d bytes, %v; want the fixture's %d", len(b), err, len(kernel))
	}
	if b, err := d.ReadFile("LOADER/Loader.CONF"); err != nil || string(b) != string(boot.DefaultLoader().Marshal()) {
		t.Errorf("loader.conf, matched case-insensitively: %q, %v", b, err)
	}
	for name, want := range map[string][]string{"": {}, "slipway/a": {"initrd", "vmlinuz"}, "slipway": {}} {
		if got, err := d.ReadDir(name); err != nil || !slices.Equal(got, want) {
			t.Errorf("ReadDir(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"loader/entries/nope.conf", "nope/x", "loader/loader.conf/x"} {
		if _, err := d.ReadFile(name); !errors.Is(err, iofs.ErrNotExist) {
			t.Errorf("ReadFile(%s) = %v, want fs.ErrNotExist", name, err)
		}
	}
	if _, err := d.ReadDir("slipway/b"); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("ReadDir(slipway/b) = %v, want fs.ErrNotExist", err)
	}
	if _, err := d.ReadFile("slipway/a"); err == nil {
		t.Error("ReadFile of a directory succeeds")
	}
}

// TestDeviceUpgradeKeepsESPClean does to the ESP what upgrades do, many
// times, and checks with fsck.fat and mtools that nothing leaks and every
// file reads back, on 512-byte clusters (64 MiB ESP) and 4 KiB ones (the
// default 512 MiB).
func TestDeviceUpgradeKeepsESPClean(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "fsck.fat", "mdir", "mtype")
	for name, esp := range map[string]int64{"64MiB": 64 * MiB, "512MiB": 512 * MiB} {
		t.Run(name, func(t *testing.T) {
			in := fixture(t)
			in.Layout.ESP = esp
			upgradeESP(t, in)
		})
	}
}

func upgradeESP(t *testing.T, in Input) {
	img, res := buildImage(t, in)
	esp := partition(t, res.Partitions, boot.LabelESP)
	want := mtoolsFiles(t, img, esp)
	d := openDev(t, img)
	write := func(name string, b []byte) {
		t.Helper()
		devWrite(t, d, name, b)
		want[name] = string(b)
	}

	// Slot b's first upgrade: a new directory, a 7 MB initrd, a new
	// entry with a counter, then its first failed boot and slot a's
	// entry going away.
	initrd := randomBytes(3, 7<<20)
	start := time.Now()
	write(boot.InitrdPath(boot.SlotB), initrd)
	t.Logf("WriteFile of a %d-byte initrd: %v", len(initrd), time.Since(start))
	write(boot.KernelPath(boot.SlotB), randomBytes(4, 600<<10))
	e := boot.SlotEntry(boot.SlotB, "1.3.0", "")
	e.Tries = &boot.Tries{Left: boot.DefaultTries}
	write(e.Path(), e.Marshal())
	fsckESP(t, img, esp)
	tried := e.Path()
	e.Tries = &boot.Tries{Left: 2, Done: 1}
	must(t, d.Rename(tried, e.Path()))
	want[e.Path()] = want[tried]
	delete(want, tried)
	must(t, d.Remove("loader/entries/slipway-a.conf"))
	delete(want, "loader/entries/slipway-a.conf")
	must(t, d.Remove("loader/entries/slipway-a.conf")) // missing is fine
	fsckESP(t, img, esp)

	// Kernels replaced over and over, growing and shrinking.
	for i := range 20 {
		write(boot.KernelPath(boot.SlotA), randomBytes(int64(10+i), (300+(i%3)*400)<<10+i))
	}
	// Rename over an existing file, an empty file, a new top-level
	// directory.
	write("slipway/old", randomBytes(5, 3000))
	write("slipway/new", []byte("x"))
	must(t, d.Rename("slipway/new", "slipway/old"))
	want["slipway/old"] = "x"
	delete(want, "slipway/new")
	write("slipway/empty", nil)
	write("slipway/empty", nil)
	write("extra/dir/file", []byte("deep"))
	// A directory over several clusters (3 slots per name, 16 per
	// 512-byte cluster), shrinking and growing.
	for i := range 12 {
		write("many/entry-number-"+strconv.Itoa(i)+".conf", randomBytes(int64(i), 700*i))
	}
	for i := range 12 {
		name := "many/entry-number-" + strconv.Itoa(i) + ".conf"
		if i%2 == 0 {
			must(t, d.Remove(name))
			delete(want, name)
		}
	}
	must(t, d.Rename("many/entry-number-1.conf", "many/entry-number-3.conf"))
	want["many/entry-number-3.conf"] = want["many/entry-number-1.conf"]
	delete(want, "many/entry-number-1.conf")

	fsckESP(t, img, esp)
	if got := mtoolsFiles(t, img, esp); !mapsEqual(got, want) {
		t.Errorf("mtools sees %v,\nwant %v", keys(got), keys(want))
	}
	for name, content := range want {
		if b, err := d.ReadFile(name); err != nil || string(b) != content {
			t.Errorf("ReadFile(%s): %d bytes, %v; want %d bytes", name, len(b), err, len(content))
		}
	}
	if got, err := d.ReadDir(boot.EntriesDir); err != nil || strings.Join(got, " ") != "slipway-b+2-1.conf" {
		t.Errorf("ReadDir(entries) = %v, %v", got, err)
	}
	info, err := Inspect(context.Background(), img)
	must(t, err)
	if info.Default == nil || info.Default.File != e.Path() || !info.Default.Bootable {
		t.Errorf("Inspect default %+v, want %s bootable", info.Default, e.Path())
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"("+strconv.Itoa(len(v))+")")
	}
	slices.Sort(out)
	return out
}

// TestDeviceFollowsMtools: files another FAT implementation wrote (empty
// ones without a cluster, a rename like systemd-bless-boot's) read,
// replace and remove cleanly.
func TestDeviceFollowsMtools(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "fsck.fat", "mdir", "mtype", "mcopy", "mren")
	img, res := buildImage(t, fixture(t))
	esp := partition(t, res.Partitions, boot.LabelESP)
	spec := mtoolsImg(img, esp)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "b.conf"), []byte("title b\n"), 0o644))
	cmd(t, mtoolsEnv, "mcopy", "-i", spec, filepath.Join(dir, "empty"), "::/slipway/empty")
	cmd(t, mtoolsEnv, "mcopy", "-i", spec, filepath.Join(dir, "b.conf"), "::/loader/entries/slipway-b+1-2.conf")
	cmd(t, mtoolsEnv, "mren", "-i", spec, "::/loader/entries/slipway-b+1-2.conf", "::/loader/entries/slipway-b.conf")

	d := openDev(t, img)
	if b, err := d.ReadFile("slipway/empty"); err != nil || len(b) != 0 {
		t.Errorf("empty file: %q, %v", b, err)
	}
	if got, err := d.ReadDir(boot.EntriesDir); err != nil || strings.Join(got, " ") != "slipway-a.conf slipway-b.conf" {
		t.Errorf("ReadDir(entries) = %v, %v", got, err)
	}
	devWrite(t, d, "slipway/empty", []byte("now full"))
	must(t, d.Rename("slipway/empty", "slipway/Empty")) // only the case
	must(t, d.Remove("loader/entries/slipway-b.conf"))
	fsckESP(t, img, esp)
	got := mtoolsFiles(t, img, esp)
	if _, ok := got["loader/entries/slipway-b.conf"]; got["slipway/Empty"] != "now full" || ok || len(got) != 7 {
		t.Errorf("mtools sees %v", keys(got))
	}
}

func TestDeviceWriteFailureLeavesNoTemp(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "fsck.fat")
	img, res := buildImage(t, fixture(t))
	esp := partition(t, res.Partitions, boot.LabelESP)
	d := openDev(t, img)
	kernel, err := d.ReadFile(boot.KernelPath(boot.SlotA))
	must(t, err)
	broken := io.MultiReader(bytes.NewReader(make([]byte, 9<<20)), iotest.ErrReader(errors.New("network gone")))
	if err := d.WriteFile(boot.KernelPath(boot.SlotA), broken); err == nil || !strings.Contains(err.Error(), "network gone") {
		t.Errorf("WriteFile from a failing reader = %v", err)
	}
	tooBig := io.LimitReader(zeros{}, 2*esp.Size)
	if err := d.WriteFile(boot.InitrdPath(boot.SlotB), tooBig); err == nil || !strings.Contains(err.Error(), "space") {
		t.Errorf("WriteFile larger than the ESP = %v", err)
	}
	if b, err := d.ReadFile(boot.KernelPath(boot.SlotA)); err != nil || !bytes.Equal(b, kernel) {
		t.Errorf("the kernel changed: %d bytes, %v", len(b), err)
	}
	for _, dir := range []string{"slipway/a", "slipway/b"} {
		if names, err := d.ReadDir(dir); err != nil || slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, ".") }) {
			t.Errorf("ReadDir(%s) = %v, %v: a temporary file is left", dir, names, err)
		}
	}
	fsckESP(t, img, esp)
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// TestDeviceSlotStaysInItsPartition writes a slot through the Device and
// checks that every other partition's bytes are unchanged.
func TestDeviceSlotStaysInItsPartition(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	img, res := buildImage(t, fixture(t))
	hashOthers := func() map[string]string {
		out := map[string]string{}
		for _, label := range []string{boot.LabelESP, boot.LabelSlotA, boot.LabelState} {
			p := partition(t, res.Partitions, label)
			out[label] = rangeDigest(t, img, p.Start, p.Size)
		}
		return out
	}
	others := hashOthers()
	d := openDev(t, img)
	if _, err := d.Slot("c"); err == nil {
		t.Error("Slot(c) succeeds")
	}
	s, err := d.Slot(boot.SlotB)
	must(t, err)
	defer s.Close()
	p := partition(t, res.Partitions, boot.LabelSlotB)
	if s.Size() != p.Size {
		t.Fatalf("Size() = %d, partition %d", s.Size(), p.Size)
	}
	head, tail := randomBytes(7, 100<<10), randomBytes(8, 4096)
	for off, b := range map[int64][]byte{0: head, s.Size() - int64(len(tail)): tail} {
		if n, err := s.WriteAt(b, off); err != nil || n != len(b) {
			t.Fatalf("WriteAt(%d bytes, %d) = %d, %v", len(b), off, n, err)
		}
	}
	must(t, s.Sync())
	for _, c := range []struct{ off, n int64 }{{-1, 1}, {s.Size() - 10, 20}, {s.Size(), 1}, {s.Size() + 512, 1}} {
		if n, err := s.WriteAt(make([]byte, c.n), c.off); err == nil || n != 0 {
			t.Errorf("WriteAt(%d bytes, %d) = %d, %v; want refused", c.n, c.off, n, err)
		}
	}
	got := make([]byte, len(head))
	if n, err := s.ReadAt(got, 0); err != nil || n != len(head) || !bytes.Equal(got, head) {
		t.Errorf("ReadAt(0) = %d, %v, equal %v", n, err, bytes.Equal(got, head))
	}
	got = make([]byte, 2*len(tail))
	if n, err := s.ReadAt(got, s.Size()-int64(len(tail))); err != io.EOF || n != len(tail) || !bytes.Equal(got[:n], tail) {
		t.Errorf("ReadAt across the end = %d, %v; want %d, EOF", n, err, len(tail))
	}
	if n, err := s.ReadAt(got, s.Size()); err != io.EOF || n != 0 {
		t.Errorf("ReadAt(end) = %d, %v", n, err)
	}
	if after := hashOthers(); !mapsEqual(after, others) {
		t.Errorf("other partitions changed: %v -> %v", others, after)
	}
}

// rangeDigest hashes n bytes at off of a file.
func rangeDigest(t *testing.T, path string, off, n int64) string {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, io.NewSectionReader(f, off, n))
	must(t, err)
	return string(h.Sum(nil))
}

func TestOpenDeviceRefuses(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "qemu-img", "sgdisk")
	img, _ := buildImage(t, fixture(t))
	q := filepath.Join(t.TempDir(), "disk.qcow2")
	must(t, ConvertQcow2(context.Background(), img, q))
	if _, err := OpenDevice(q); !errors.Is(err, ErrQcow2) {
		t.Errorf("OpenDevice(qcow2) = %v, want ErrQcow2", err)
	}
	zero := filepath.Join(t.TempDir(), "zero.raw")
	must(t, os.WriteFile(zero, make([]byte, 4<<20), 0o644))
	if _, err := OpenDevice(zero); err == nil || !strings.Contains(err.Error(), "GPT") {
		t.Errorf("OpenDevice(no GPT) = %v", err)
	}
	other := filepath.Join(t.TempDir(), "other.raw")
	must(t, os.WriteFile(other, make([]byte, 8<<20), 0o644))
	cmd(t, nil, "sgdisk", "-n", "1:2048:+2M", "-c", "1:esp", "-n", "2:0:+2M", "-c", "2:root", other)
	if _, err := OpenDevice(other); err == nil || !strings.Contains(err.Error(), "slipway-a, slipway-b") {
		t.Errorf("OpenDevice(GPT without slots) = %v", err)
	}
}
