package initrd

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeModules writes a modules directory the way depmod lays it out.
func fakeModules(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"modules.dep": `kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/lib/libcrc32c.ko:
kernel/arch/x86/crypto/crc32c-intel.ko:
kernel/fs/erofs/erofs.ko: kernel/lib/libcrc32c.ko
kernel/fs/fat/fat.ko:
kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko
kernel/fs/nls/nls_iso8859-1.ko.xz:
`,
		"modules.builtin": "kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n",
		"modules.alias":   "# Aliases extracted from modules themselves.\nalias crc32c crc32c_intel\nalias crypto-crc32c crc32c_intel\nalias fs-vfat vfat\n",
		"modules.softdep": "# Soft dependencies extracted from modules themselves.\nsoftdep libcrc32c pre: crc32c\nsoftdep vfat post: nls_cp437\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveOrdersDependenciesFirst(t *testing.T) {
	dir := t.TempDir()
	fakeModules(t, dir)
	db, err := loadModDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	order, builtin, err := db.resolve([]string{"virtio_pci", "virtio-blk", "erofs", "ext4", "vfat", "nls_iso8859_1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kernel/drivers/virtio/virtio_ring.ko",
		"kernel/drivers/virtio/virtio.ko",
		"kernel/drivers/virtio/virtio_pci_modern_dev.ko",
		"kernel/drivers/virtio/virtio_pci.ko",
		"kernel/drivers/block/virtio_blk.ko",
		"kernel/arch/x86/crypto/crc32c-intel.ko", // soft pre of libcrc32c, through the alias
		"kernel/lib/libcrc32c.ko",
		"kernel/fs/erofs/erofs.ko",
		"kernel/fs/fat/fat.ko",
		"kernel/fs/fat/vfat.ko", // post: soft dependencies are not loaded
		"kernel/fs/nls/nls_iso8859-1.ko.xz",
	}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("order:\n got %q\nwant %q", order, want)
	}
	if !reflect.DeepEqual(builtin, []string{"ext4"}) {
		t.Errorf("builtin = %q", builtin)
	}
	dep := string(db.trimmedDep(order[:2]))
	if dep != "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\nkernel/drivers/virtio/virtio_ring.ko:\n" {
		t.Errorf("trimmed modules.dep = %q", dep)
	}
}

func TestResolveReportsEveryMissingModule(t *testing.T) {
	dir := t.TempDir()
	fakeModules(t, dir)
	db, err := loadModDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = db.resolve([]string{"virtio_blk", "ahci", "zfs"})
	if !errors.Is(err, ErrModuleNotFound) || !strings.Contains(err.Error(), "ahci, zfs") {
		t.Errorf("err = %v, want ErrModuleNotFound naming ahci, zfs", err)
	}
}

func TestLoadModDBNeedsModulesDep(t *testing.T) {
	_, err := loadModDB(t.TempDir())
	if !errors.Is(err, ErrNoModules) || !strings.Contains(err.Error(), "modules.dep") {
		t.Errorf("err = %v, want ErrNoModules naming modules.dep", err)
	}
}
