package nodeos

import (
	"context"
	"fmt"

	"github.com/slipway-dev/slipway/images/disk"
	"github.com/slipway-dev/slipway/images/initrd"
	"github.com/slipway-dev/slipway/internal/fileutil"
	"github.com/slipway-dev/slipway/spec"
)

// Parts are the pieces of a release's node OS that an update payload
// carries, all in the cache.
type Parts struct {
	// Rootfs is the cached tree.
	Rootfs string
	// Slot is the cached slot filesystem, with its digest: the very file
	// BuildDisk copies into slot a, so a payload and a disk image of the
	// same release hold the same bytes.
	Slot *disk.SlotImage
	// Kernel is the tree's kernel (path and version).
	Kernel initrd.Kernel
	// Initrd is the cached initramfs; InitrdInfo what building it reported.
	Initrd     string
	InitrdInfo *initrd.Result
}

// BuildParts returns the release's node OS pieces for arch as BuildDisk
// makes them (Rootfs, the cached slot filesystem and initramfs, the
// tree's kernel), building what the cache lacks. The slot filesystem is
// built while the initramfs is, and hashed at the end.
func BuildParts(ctx context.Context, r *spec.Release, arch string, o Options) (*Parts, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	stage := o.Progress.Stage("building the payload's parts", 4)
	defer stage.Abort()
	p, err := startParts(ctx, r, arch, o, stage)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	slot, err := p.waitSlot(ctx)
	if err != nil {
		return nil, err
	}
	sum, err := fileutil.SHA256(slot.Path)
	if err != nil {
		return nil, fmt.Errorf("hashing the slot filesystem: %w", err)
	}
	slot.Digest = "sha256:" + sum
	stage.Step("slot digest " + slot.Digest[:19])
	return &Parts{Rootfs: p.tree, Slot: slot, Kernel: p.kernel, Initrd: p.initrd, InitrdInfo: p.initrdInfo}, nil
}
