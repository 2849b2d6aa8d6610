package disk

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/node/boot"
)

func TestBuildErofs(t *testing.T) {
	requireTools(t, "mkfs.erofs", "mkfs.ext4", "fsck.erofs", "dump.erofs")
	in := fixture(t)
	in.SlotFS = FSErofs
	img, res := buildImage(t, in)
	p := partition(t, res.Partitions, boot.LabelSlotA)
	slot := extract(t, img, p.Start, p.Size)
	cmd(t, nil, "fsck.erofs", slot)
	out := cmd(t, nil, "dump.erofs", "--path=/var/lib/app/data", slot)
	for _, want := range []string{"Uid: 1000   Gid: 1001  Access: 0640/rw-r-----", "Timestamp: 2024-01-02 03:04:06"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump.erofs: no %q in\n%s", want, out)
		}
	}
	info, err := Inspect(context.Background(), img)
	must(t, err)
	if fs := info.Partitions[1].Filesystem; fs.Type != FSErofs || fs.Size != res.Slot.Size ||
		fs.UUID != strings.ToLower(seed{"1.2.3", testEpoch}.uuid("erofs rootfs")) {
		t.Errorf("slot a %+v, built %+v", fs, res.Slot)
	}
	b, _ := buildImage(t, in)
	if fileDigest(t, img) != fileDigest(t, b) {
		t.Error("two erofs builds differ")
	}
}

func TestBuildWithSlotImage(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	in := fixture(t)
	slot := filepath.Join(t.TempDir(), "rootfs.squashfs")
	si, err := BuildSlot(context.Background(), slot, SlotSource{Rootfs: in.Rootfs, Version: in.Version, Epoch: in.Epoch})
	must(t, err)
	a, res := buildImage(t, in)
	if si.Digest != res.Slot.Digest || si.Size != res.Slot.Size {
		t.Errorf("BuildSlot %+v, Build %+v", si, res.Slot)
	}
	in.Rootfs = ""
	b, _ := buildImage(t, in, WithSlotImage(slot))
	if fileDigest(t, a) != fileDigest(t, b) {
		t.Error("a prebuilt slot image gives a different disk")
	}
	in.SlotFS = FSErofs
	if _, err := Build(context.Background(), filepath.Join(t.TempDir(), "x.raw"), in, WithSlotImage(slot)); err == nil ||
		!strings.Contains(err.Error(), `found "squashfs", expected erofs`) {
		t.Errorf("err = %v", err)
	}
}
