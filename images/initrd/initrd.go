// Package initrd builds the initramfs of a slipway node from its OS root
// filesystem: slipway-init as /init, the kernel modules needed to reach
// the disk (with their dependencies, resolved through modules.dep), and
// Ignition with its loader and shared libraries (resolved by reading ELF
// headers in the root filesystem). The archive is a newc cpio, compressed,
// and deterministic: the same inputs give the same bytes.
package initrd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// IgnitionPath is where Debian's ignition package installs the binary.
const IgnitionPath = "/usr/lib/dracut/modules.d/30ignition/ignition"

// ErrNoIgnition is wrapped when the root filesystem has no Ignition.
var ErrNoIgnition = errors.New("no Ignition binary")

// DefaultModules are what slipway-init needs to reach the disk and mount
// the slots, STATE, /etc and the ESP, and to read a config from QEMU's
// fw_cfg. Those the kernel has built in are skipped.
var DefaultModules = []string{
	"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "nvme",
	"squashfs", "erofs", "ext4", "overlay",
	"vfat", "nls_cp437", "nls_ascii", "nls_utf8",
	"efivarfs", "qemu_fw_cfg",
}

// Options say what goes into the initramfs.
type Options struct {
	// Rootfs is the OS tree the modules, Ignition and its libraries come
	// from.
	Rootfs string
	// KernelVersion picks lib/modules/<version>; default: the only one in
	// Rootfs (an error when there are several).
	KernelVersion string
	// Init is the static slipway-init binary, the initramfs's /init;
	// default Rootfs/usr/lib/slipway/slipway-init.
	Init string
	// Modules are the modules to load at boot, by name, dependencies
	// implied; default DefaultModules.
	Modules []string
	// Compression defaults to Zstd.
	Compression Compression
	// Epoch stamps every file (SOURCE_DATE_EPOCH); default the Unix epoch.
	Epoch time.Time
}

// Result describes a built initramfs.
type Result struct {
	// KernelVersion is the release the modules are for.
	KernelVersion string `json:"kernelVersion"`
	// Modules are the module files included, relative to
	// /lib/modules/<version>, in load order, dependencies included.
	Modules []string `json:"modules"`
	// Builtin are the requested modules the kernel has built in.
	Builtin []string `json:"builtin,omitempty"`
	// Libraries are the loader and shared libraries carried for Ignition.
	Libraries []string `json:"libraries"`
	// Files counts the archive's entries, directories included.
	Files int `json:"files"`
	// Size is the compressed size in bytes.
	Size int64 `json:"size"`
	// Compression is how the archive is compressed.
	Compression Compression `json:"compression"`
}

// Build writes the initramfs to w. Every missing piece (kernel modules,
// Ignition, a library, a static Init) is reported in one error.
func Build(ctx context.Context, w io.Writer, o Options) (*Result, error) {
	if err := o.fill(); err != nil {
		return nil, fmt.Errorf("building the initramfs: %w", err)
	}
	res, entries, err := collect(o)
	if err != nil {
		return nil, fmt.Errorf("building the initramfs from %s: %w", o.Rootfs, err)
	}
	cw := &countingWriter{w: w}
	zw, err := compressor(cw, o.Compression)
	if err != nil {
		return nil, err
	}
	if err := writeArchive(ctx, zw, entries, o.Epoch); err != nil {
		return nil, fmt.Errorf("writing the initramfs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("writing the initramfs: %w", err)
	}
	res.Files, res.Size, res.Compression = len(entries), cw.n, o.Compression
	return res, nil
}

// fill applies the defaults.
func (o *Options) fill() error {
	if o.Rootfs == "" {
		return errors.New("no root filesystem given")
	}
	if o.KernelVersion == "" {
		switch v := moduleVersions(o.Rootfs); len(v) {
		case 0:
			return fmt.Errorf("%w: no lib/modules/*/modules.dep in %s", ErrNoModules, o.Rootfs)
		case 1:
			o.KernelVersion = v[0]
		default:
			return fmt.Errorf("several kernels in %s (%s): set the kernel version", o.Rootfs, strings.Join(v, ", "))
		}
	}
	if o.Init == "" {
		o.Init = filepath.Join(o.Rootfs, "usr/lib/slipway/slipway-init")
	}
	if o.Modules == nil {
		o.Modules = DefaultModules
	}
	if o.Compression == "" {
		o.Compression = Zstd
	}
	if o.Epoch.IsZero() {
		o.Epoch = time.Unix(0, 0)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// moduleListHeader opens the early.ModuleList file.
const moduleListHeader = "# Modules slipway-init loads, in this order (written by slipway's images/initrd).\n"

func moduleList(files []string) []byte {
	return []byte(moduleListHeader + strings.Join(files, "\n") + "\n")
}
