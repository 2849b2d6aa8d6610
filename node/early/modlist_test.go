package early

import (
	"reflect"
	"testing"
)

func TestParseModuleList(t *testing.T) {
	in := "# for 6.1.0-56-cloud-amd64\nkernel/drivers/virtio/virtio.ko\n\n kernel/drivers/block/virtio_blk.ko.xz \n/etc/passwd\n../x.ko\nkernel/../../y.ko\n"
	want := []string{"kernel/drivers/virtio/virtio.ko", "kernel/drivers/block/virtio_blk.ko.xz"}
	if got := ParseModuleList([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseModuleList = %q, want %q", got, want)
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/fs/fat/vfat.ko":                   "vfat",
		"kernel/fs/nls/nls_iso8859-1.ko.xz":       "nls_iso8859_1",
		"kernel/drivers/virtio/virtio_pci.ko.zst": "virtio_pci",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
}
