package disk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/backend/file"

	"github.com/slipway-dev/slipway/node/boot"
)

func TestInspectAgreesWithBuild(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	img, res := buildImage(t, fixture(t))
	info, err := Inspect(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if info.DiskGUID != res.DiskGUID || info.Size != res.Size {
		t.Errorf("disk %s %d, built %s %d", info.DiskGUID, info.Size, res.DiskGUID, res.Size)
	}
	var parts []Partition
	for _, p := range info.Partitions {
		parts = append(parts, p.Partition)
	}
	if !reflect.DeepEqual(parts, res.Partitions) {
		t.Errorf("partitions\n%+v\nbuilt\n%+v", parts, res.Partitions)
	}
	wantFS := []FSInfo{
		{Type: FSVfat, Size: 64*MiB - 2*512},
		{Type: FSSquashfs, Size: info.Partitions[1].Filesystem.Size},
		{Type: FSEmpty},
		{Type: FSExt4, Size: 32 * MiB},
	}
	for i, want := range wantFS {
		got := info.Partitions[i].Filesystem
		if got.Type != want.Type || got.Size != want.Size {
			t.Errorf("partition %d filesystem %+v, want %+v", i+1, got, want)
		}
	}
	if sq := info.Partitions[1].Filesystem.Size; sq <= 0 || sq > res.Slot.Size || res.Slot.Size-sq >= 4096 {
		t.Errorf("squashfs bytes_used %d, slot image %d", sq, res.Slot.Size)
	}
	if info.Loader == nil || *info.Loader != boot.DefaultLoader() {
		t.Errorf("loader %+v", info.Loader)
	}
	if len(info.Entries) != 1 || info.Default == nil || info.Default.Slot != boot.SlotA || !info.Default.Blessed ||
		!info.Default.Bootable || info.Default.Entry != res.Entry || info.Default.TriesLeft != -1 {
		t.Errorf("entries %+v default %+v", info.Entries, info.Default)
	}
	var files []string
	for _, f := range info.Files {
		files = append(files, f.Path)
	}
	want := "EFI/BOOT/BOOTX64.EFI EFI/systemd/systemd-bootx64.efi loader/entries/slipway-a.conf loader/loader.conf slipway/a/initrd slipway/a/vmlinuz"
	if strings.Join(files, " ") != want || info.Ignition {
		t.Errorf("files %v ignition %v, want %s", files, info.Ignition, want)
	}
}

func TestInspectRefusesQcow2(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "qemu-img")
	img, _ := buildImage(t, fixture(t))
	q := filepath.Join(t.TempDir(), "disk.qcow2")
	must(t, ConvertQcow2(context.Background(), img, q))
	_, err := Inspect(context.Background(), q)
	if !errors.Is(err, ErrQcow2) || !strings.Contains(err.Error(), "raw") {
		t.Fatalf("Inspect(qcow2) = %v, want ErrQcow2", err)
	}
	err = Personalize(context.Background(), q, q+".node", []byte(`{"ignition":{"version":"3.3.0"}}`))
	if !errors.Is(err, ErrQcow2) {
		t.Fatalf("Personalize(qcow2) = %v, want ErrQcow2", err)
	}
}

func TestConvertQcow2IsDeterministic(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "qemu-img")
	img, _ := buildImage(t, fixture(t))
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.qcow2"), filepath.Join(dir, "b.qcow2")
	must(t, ConvertQcow2(context.Background(), img, a))
	must(t, ConvertQcow2(context.Background(), img, b))
	if fileDigest(t, a) != fileDigest(t, b) {
		t.Fatal("two conversions differ")
	}
	out := cmd(t, nil, "qemu-img", "info", a)
	if !strings.Contains(out, "file format: qcow2") {
		t.Errorf("qemu-img info:\n%s", out)
	}
	back := filepath.Join(dir, "back.raw")
	cmd(t, nil, "qemu-img", "convert", "-O", "raw", a, back)
	if fileDigest(t, back) != fileDigest(t, img) {
		t.Error("qcow2 converted back to raw differs from the image")
	}
}

// onESP runs change on the ESP of img, as an upgrade or systemd-boot
// would change it.
func onESP(t *testing.T, img string, change func(fatFS) error) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	must(t, err)
	defer f.Close()
	d, err := diskfs.OpenBackend(file.New(f, false))
	must(t, err)
	fs, err := openESP(d, 1)
	must(t, err)
	must(t, change(fs))
}

func writeESPFiles(t *testing.T, img string, files ...espFile) {
	t.Helper()
	onESP(t, img, func(fs fatFS) error {
		for _, ef := range files {
			if err := writeFATFile(fs, ef); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestInspectPicksDefaultLikeSystemdBoot(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	img, _ := buildImage(t, fixture(t))
	b := boot.SlotEntry(boot.SlotB, "1.3.0", "")
	b.Tries = &boot.Tries{Left: boot.DefaultTries}
	check := func(step, wantDefault string, wantFiles ...string) {
		t.Helper()
		info, err := Inspect(context.Background(), img)
		must(t, err)
		var got []string
		for _, e := range info.Entries {
			got = append(got, e.File)
		}
		if strings.Join(got, " ") != strings.Join(wantFiles, " ") || info.Default == nil || info.Default.File != wantDefault {
			t.Errorf("%s: entries %v default %+v, want %v and %s", step, got, info.Default, wantFiles, wantDefault)
		}
	}
	writeESPFiles(t, img, espFile{path: b.Path(), data: b.Marshal()})
	check("entry without kernel", "loader/entries/slipway-a.conf", "loader/entries/slipway-b+3.conf", "loader/entries/slipway-a.conf")
	writeESPFiles(t, img, espFile{path: boot.KernelPath(boot.SlotB), data: []byte("k")}, espFile{path: boot.InitrdPath(boot.SlotB), data: []byte("i")})
	check("new slot with tries", "loader/entries/slipway-b+3.conf", "loader/entries/slipway-b+3.conf", "loader/entries/slipway-a.conf")
	tried := b.Path()
	b.Tries = &boot.Tries{Left: 0, Done: 3}
	onESP(t, img, func(fs fatFS) error { return fs.Rename(tried, b.Path()) })
	check("slot b out of tries", "loader/entries/slipway-a.conf", "loader/entries/slipway-a.conf", "loader/entries/slipway-b+0-3.conf")
}
