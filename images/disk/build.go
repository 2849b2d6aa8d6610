package disk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/node/boot"
)

// Build writes a fresh disk image at path: GPT (esp, slipway-a, slipway-b,
// slipway-state; 1 MiB aligned), the ESP (systemd-boot, loader.conf, slot
// a's blessed entry, kernel, initrd, optional Ignition config), slot a
// holding in.Rootfs as squashfs or erofs, slot b empty (a hole) and STATE
// an empty ext4. The image is sparse, written to a temp file beside path
// and renamed into place; on error or cancellation nothing is left. The
// slot filesystem is built in the work directory (WithWorkDir; default
// path's directory) while the ESP and STATE are written, then copied into
// slot a once its size is known to fit (else *SlotSizeError). The image is
// mode 0600 when it carries an Ignition config (it may hold keys), 0644
// otherwise. Options: WithWorkDir, WithProcessors, WithZstdLevel,
// WithSlotImage, WithProgress.
func Build(ctx context.Context, path string, in Input, opts ...Option) (*Result, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if in, err = in.normalize(o.slotImage != "" || o.slotFunc != nil); err != nil {
		return nil, fmt.Errorf("checking disk input: %w", err)
	}
	stage := o.progress.Stage("building disk image "+filepath.Base(path), 5)
	res, err := build(ctx, path, in, o, stage)
	if err != nil {
		stage.Abort()
		return nil, fmt.Errorf("building disk image %s: %w", path, err)
	}
	return res, nil
}

func build(ctx context.Context, path string, in Input, o *options, stage progress.Stage) (*Result, error) {
	s := seed{in.Version, in.Epoch}
	parts, size := in.Layout.plan(arches[in.Arch].rootType, s)
	img, err := newImageFile(path, size)
	if err != nil {
		return nil, err
	}
	defer img.discard()
	if err := writeGPT(img.f, size, s.uuid("disk"), parts); err != nil {
		return nil, err
	}
	stage.Step("partition table")
	slot, err := fill(ctx, img, parts, in, o, stage)
	if err != nil {
		return nil, err
	}
	perm := os.FileMode(0o644)
	if len(in.Ignition) > 0 {
		perm = 0o600
	}
	if err := img.commit(perm); err != nil {
		return nil, err
	}
	return newResult(path, size, in, s, parts, slot)
}

// fill writes the ESP, STATE and slot a concurrently (disjoint regions,
// separate file handles) and copies the slot filesystem into place.
func fill(ctx context.Context, img *imageFile, parts []Partition, in Input, o *options, stage progress.Stage) (*SlotImage, error) {
	s := seed{in.Version, in.Epoch}
	g, gctx := errgroup.WithContext(ctx)
	var slot *SlotImage
	var built bool // slot is Build's own temporary file, removed at the end
	g.Go(func() (err error) {
		slot, built, err = slotImage(gctx, img, in, o)
		stage.Step("slot filesystem (" + in.SlotFS + ")")
		return err
	})
	g.Go(func() error {
		defer stage.Step("esp")
		return writeESP(img.f, parts[0], espFiles(in), s.serial("esp serial"), in.Epoch)
	})
	g.Go(func() error {
		defer stage.Step("state")
		return makeState(gctx, img.tmp, parts[3], stateFS{s.uuid("ext4 state"), s.uuid("ext4 hash seed"), in.Epoch})
	})
	err := g.Wait()
	if built {
		defer os.Remove(slot.Path)
	}
	if err != nil {
		return nil, err
	}
	if err := placeSlot(ctx, img.f, parts[1], slot); err != nil {
		return nil, err
	}
	stage.Step("copied into " + boot.LabelSlotA)
	return slot, nil
}

// slotImage returns slot a's filesystem: the caller's (WithSlotFunc,
// WithSlotImage), or one built in the work directory (built is then true).
func slotImage(ctx context.Context, img *imageFile, in Input, o *options) (slot *SlotImage, built bool, err error) {
	switch {
	case o.slotFunc != nil:
		slot, err = o.slotFunc(ctx)
		return slot, false, err
	case o.slotImage != "":
		slot, err = probeSlot(o.slotImage, in.SlotFS)
		return slot, false, err
	}
	dir := o.workDir
	if dir == "" {
		dir = filepath.Dir(img.tmp)
	}
	tmp, err := tempPath(dir, "."+filepath.Base(img.final)+".slot-*")
	if err != nil {
		return nil, false, err
	}
	src := SlotSource{Rootfs: in.Rootfs, FS: in.SlotFS, Version: in.Version, Epoch: in.Epoch}
	if err := makeSlotFS(ctx, tmp, src, o); err != nil {
		os.Remove(tmp)
		return nil, false, err
	}
	if slot, err = probeSlot(tmp, in.SlotFS); err != nil {
		os.Remove(tmp)
		return nil, false, err
	}
	return slot, true, nil
}

// placeSlot copies the slot filesystem into partition p after checking it
// fits.
func placeSlot(ctx context.Context, dst *os.File, p Partition, slot *SlotImage) error {
	if slot.Size > p.Size {
		return &SlotSizeError{Slot: boot.SlotA, FS: slot.FS, Size: slot.Size, SlotSize: p.Size}
	}
	src, err := os.Open(slot.Path)
	if err != nil {
		return err
	}
	defer src.Close()
	// The digest is computed from another handle while the kernel copies.
	var g errgroup.Group
	if slot.Digest == "" {
		g.Go(func() (err error) {
			slot.Digest, err = sha256File(slot.Path)
			return err
		})
	}
	if err := copyRange(ctx, dst, src, p.Start, 0, slot.Size); err != nil {
		g.Wait()
		return fmt.Errorf("copying the slot filesystem into %s: %w", p.Label, err)
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("hashing the slot filesystem: %w", err)
	}
	return nil
}

func newResult(path string, size int64, in Input, s seed, parts []Partition, slot *SlotImage) (*Result, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Path: path, Size: size, Version: in.Version, Arch: in.Arch,
		DiskGUID: s.uuid("disk"), Partitions: parts, Slot: *slot,
		Entry: boot.SlotEntry(boot.SlotA, in.Version, in.Cmdline),
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		res.Allocated = sys.Blocks * 512
	}
	for _, ef := range espFiles(in) {
		n := int64(len(ef.data))
		if ef.src != "" {
			if fst, err := os.Stat(ef.src); err == nil {
				n = fst.Size()
			}
		}
		res.ESP = append(res.ESP, File{Path: ef.path, Size: n})
	}
	res.Slot.Path = ""
	return res, nil
}
