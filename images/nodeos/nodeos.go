// Package nodeos builds a Release's node OS: its root filesystem (from
// Debian packages with the release's own packages on top, an OS image, a
// tarball or a tree), the initramfs made from it, and the bootable GPT
// disk image with the A/B slots. Trees and slot filesystems are cached by
// their inputs, so an unchanged OS is not rebuilt.
package nodeos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/slipway-dev/slipway/images/disk"
	"github.com/slipway-dev/slipway/images/initrd"
	"github.com/slipway-dev/slipway/internal/fileutil"
	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/spec"
)

// Options are what building the node OS needs besides the release.
type Options struct {
	// CacheDir holds trees (rootfs/), slot filesystems (slots/) and
	// Debian packages (debs/).
	CacheDir string
	// Epoch stamps every time (SOURCE_DATE_EPOCH).
	Epoch time.Time
	// Debs builds the release's own .deb packages for an architecture and
	// returns their paths (they are installed on top of a Debian rootfs).
	Debs func(ctx context.Context, arch string) ([]string, error)
	// Log receives mmdebstrap's output; nil discards it.
	Log io.Writer
	// Progress shows the steps; nil shows nothing.
	Progress progress.Reporter
}

func (o *Options) fill() error {
	if o.CacheDir == "" || o.Epoch.IsZero() {
		return errors.New("building the node OS: cache directory and epoch are required")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Progress == nil {
		o.Progress = progress.Discard()
	}
	return nil
}

// Result describes the disk images built.
type Result struct {
	Version string         `json:"version"`
	Arch    string         `json:"arch"`
	Kernel  string         `json:"kernel"`
	Rootfs  string         `json:"rootfs"`
	Initrd  *initrd.Result `json:"initrd"`
	Disk    *disk.Result   `json:"disk"`
	// Files are the images written, relative to the output directory.
	Files []string `json:"files"`
}

// ImageName is the disk image's file name without extension.
func ImageName(r *spec.Release, arch string) string {
	return fmt.Sprintf("%s-%s-%s", r.Metadata.Name, r.NodeOS().Version, arch)
}

// BuildDisk builds the release's disk image for arch into dir (which must
// exist): NAME-VERSION-ARCH.raw, and .qcow2 when the spec asks for it.
func BuildDisk(ctx context.Context, r *spec.Release, arch, dir string, o Options) (*Result, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	nos := r.NodeOS()
	layout, err := diskLayout(nos.Disk)
	if err != nil {
		return nil, err
	}
	stage := o.Progress.Stage("building the disk image", 4) // rootfs, initramfs, slot filesystem, image
	defer stage.Abort()
	// The slot filesystem is built (when the cache lacks it) while the
	// initramfs is made and, inside disk.Build, the ESP and STATE are
	// written; its digest is computed as it is copied into place.
	p, err := startParts(ctx, r, arch, o, stage)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	name := ImageName(r, arch)
	res := &Result{Version: nos.Version, Arch: arch, Kernel: p.kernel.Version, Rootfs: p.tree, Initrd: p.initrdInfo}
	res.Disk, err = disk.Build(ctx, filepath.Join(dir, name+".raw"), disk.Input{
		Rootfs: p.tree, Kernel: p.kernel.Path, Initrd: p.initrd,
		Bootloader: filepath.Join(p.tree, "usr/lib/systemd/boot/efi/systemd-bootx64.efi"),
		Version:    nos.Version, Cmdline: nos.Disk.Cmdline, Arch: arch, Layout: layout,
		SlotFS: nos.Disk.SlotFilesystem, Epoch: o.Epoch,
	}, disk.WithSlotFunc(p.waitSlot))
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, name+".raw")
	if err := writeFormats(ctx, dir, name, nos.Disk.Formats, res); err != nil {
		return nil, err
	}
	stage.Step("disk image " + name)
	return res, nil
}

func writeFormats(ctx context.Context, dir, name string, formats []string, res *Result) error {
	for _, f := range formats {
		if f != "qcow2" {
			continue
		}
		if err := disk.ConvertQcow2(ctx, filepath.Join(dir, name+".raw"), filepath.Join(dir, name+".qcow2")); err != nil {
			return err
		}
		res.Files = append(res.Files, name+".qcow2")
	}
	return nil
}

func diskLayout(d spec.Disk) (disk.Layout, error) {
	var l disk.Layout
	for _, f := range []struct {
		dst *int64
		val string
	}{{&l.ESP, d.ESP}, {&l.Slot, d.Slot}, {&l.State, d.State}} {
		n, err := spec.ParseSize(f.val)
		if err != nil {
			return l, err
		}
		*f.dst = n
	}
	return l, nil
}

// started is the part of a node OS build that disk images and payloads
// share: the tree, its kernel and initramfs, and the slot filesystem
// being built in the background.
type started struct {
	tree, key  string
	kernel     initrd.Kernel
	initrd     string
	initrdInfo *initrd.Result
	waitSlot   func(context.Context) (*disk.SlotImage, error)
	stop       func()
}

// startParts builds (or finds) the tree and its initramfs, with the slot
// filesystem started in the background; the caller must call stop.
func startParts(ctx context.Context, r *spec.Release, arch string, o Options, stage progress.Stage) (*started, error) {
	tree, key, err := Rootfs(ctx, r, arch, o)
	if err != nil {
		return nil, err
	}
	stage.Step("root filesystem " + filepath.Base(tree))
	k, err := initrd.FindKernel(tree)
	if err != nil {
		return nil, err
	}
	p := &started{tree: tree, key: key, kernel: k}
	p.waitSlot, p.stop = startSlot(ctx, tree, key, r.NodeOS(), o, stage)
	if p.initrd, p.initrdInfo, err = cachedInitrd(ctx, tree, key, k.Version, o); err != nil {
		p.stop()
		return nil, err
	}
	stage.Step(fmt.Sprintf("initramfs (%d modules, %d KiB)", len(p.initrdInfo.Modules), p.initrdInfo.Size>>10))
	return p, nil
}

// cachedInitrd returns the initramfs of the tree with key from the cache,
// building it there when missing, with what Build reports of it.
func cachedInitrd(ctx context.Context, tree, key, kver string, o Options) (string, *initrd.Result, error) {
	p := filepath.Join(o.CacheDir, "initrds", fmt.Sprintf("%s-%s-%d.img", key[:32], kver, o.Epoch.Unix()))
	if b, err := os.ReadFile(p + ".json"); err == nil {
		var res initrd.Result
		if json.Unmarshal(b, &res) == nil {
			if _, err := os.Stat(p); err == nil {
				return p, &res, nil
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".initrd-")
	if err != nil {
		return "", nil, err
	}
	defer os.Remove(f.Name())
	res, err := initrd.Build(ctx, f, initrd.Options{Rootfs: tree, KernelVersion: kver, Epoch: o.Epoch})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", nil, err
	}
	meta, _ := json.Marshal(res)
	if err := fileutil.WriteAtomic(p+".json", meta, 0o644); err != nil {
		return "", nil, err
	}
	return p, res, os.Rename(f.Name(), p)
}

// startSlot builds (or finds) the slot filesystem in the background. wait
// returns it once ready; stop cancels the build and waits for it to end.
func startSlot(ctx context.Context, tree, key string, nos spec.OS, o Options, stage progress.Stage) (wait func(context.Context) (*disk.SlotImage, error), stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var slot *disk.SlotImage
	var err error
	go func() {
		defer close(done)
		slot, err = cachedSlot(ctx, tree, key, nos, o)
	}()
	wait = func(ctx context.Context) (*disk.SlotImage, error) {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, err
		}
		stage.Step(fmt.Sprintf("slot filesystem (%s, %d MiB)", slot.FS, slot.Size>>20))
		cp := *slot
		return &cp, nil
	}
	return wait, func() { cancel(); <-done }
}

// cachedSlot returns the slot filesystem of the tree with key, building
// it into the cache when it is not there.
func cachedSlot(ctx context.Context, tree, key string, nos spec.OS, o Options) (*disk.SlotImage, error) {
	p := filepath.Join(o.CacheDir, "slots", fmt.Sprintf("%s-%s-z%d-%d.img", key[:32], nos.Disk.SlotFilesystem, disk.DefaultZstdLevel, o.Epoch.Unix()))
	if _, err := os.Stat(p); err == nil {
		return disk.ProbeSlot(p, nos.Disk.SlotFilesystem)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return disk.BuildSlotFS(ctx, p, disk.SlotSource{Rootfs: tree, FS: nos.Disk.SlotFilesystem, Version: nos.Version, Epoch: o.Epoch})
}
