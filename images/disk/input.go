package disk

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/node/boot"
)

// Slot filesystem types.
const (
	FSSquashfs = "squashfs"
	FSErofs    = "erofs"
)

// Input is what Build puts on a disk.
type Input struct {
	// Rootfs is the root filesystem tree that becomes slot a. Owners,
	// modes and extended attributes are kept as they are in the tree.
	Rootfs string `json:"rootfs"`
	// Kernel and Initrd are copied to slipway/a/vmlinuz and
	// slipway/a/initrd on the ESP.
	Kernel string `json:"kernel"`
	Initrd string `json:"initrd"`
	// Bootloader is systemd-boot's EFI binary (systemd-bootx64.efi),
	// installed as EFI/BOOT/BOOTX64.EFI and EFI/systemd/systemd-bootx64.efi.
	Bootloader string `json:"bootloader"`
	// Version names the OS version in the boot entry; it also seeds every
	// GUID. Required; no blanks.
	Version string `json:"version"`
	// Cmdline follows slipway.slot=a on the kernel command line; it
	// defaults to boot.DefaultCmdline.
	Cmdline string `json:"cmdline,omitempty"`
	// Arch is the Debian architecture; it defaults to amd64, the only one
	// supported so far.
	Arch string `json:"arch,omitempty"`
	// Layout sizes the partitions; zero fields take DefaultLayout's.
	Layout Layout `json:"layout"`
	// SlotFS is the slot filesystem: FSSquashfs (default, zstd) or FSErofs
	// (lz4hc).
	SlotFS string `json:"slotFS,omitempty"`
	// Epoch stamps every time in the image (SOURCE_DATE_EPOCH) and seeds
	// the GUIDs; the zero value means the Unix epoch. FAT cannot hold
	// times before 1980, so the ESP clamps them to 1980-01-01.
	Epoch time.Time `json:"epoch"`
	// Ignition, when not empty, is written as slipway/config.ign on the
	// ESP. It must be JSON with ignition.version.
	Ignition []byte `json:"-"`
}

// arch is what the disk needs to know about an architecture.
type arch struct {
	efiName  string // EFI/BOOT/<name>
	sdboot   string // EFI/systemd/<name>
	rootType string // DPS root partition type
}

// arches are the architectures disk images support; systemd-boot has no
// ppc64le or s390x build, arm64 comes next.
var arches = map[string]arch{
	"amd64": {efiName: "BOOTX64.EFI", sdboot: "systemd-bootx64.efi", rootType: TypeRootX86_64},
}

// normalize fills defaults and reports every problem with the input.
func (in Input) normalize(prebuilt bool) (Input, error) {
	if in.Arch == "" {
		in.Arch = "amd64"
	}
	if in.SlotFS == "" {
		in.SlotFS = FSSquashfs
	}
	if strings.TrimSpace(in.Cmdline) == "" {
		in.Cmdline = boot.DefaultCmdline
	}
	if in.Epoch.IsZero() {
		in.Epoch = time.Unix(0, 0)
	}
	in.Epoch = in.Epoch.Truncate(time.Second).UTC()
	in.Layout = in.Layout.withDefaults()
	return in, in.validate(prebuilt)
}

func (in Input) validate(prebuilt bool) error {
	errs := []error{in.Layout.validate()}
	if _, ok := arches[in.Arch]; !ok {
		errs = append(errs, fmt.Errorf("arch: %q is not supported by disk images (amd64 only for now)", in.Arch))
	}
	if in.SlotFS != FSSquashfs && in.SlotFS != FSErofs {
		errs = append(errs, fmt.Errorf("slotFS: %q is neither %q nor %q", in.SlotFS, FSSquashfs, FSErofs))
	}
	if in.Version == "" || strings.ContainsAny(in.Version, " \t\r\n") {
		errs = append(errs, fmt.Errorf("version: %q must be one word", in.Version))
	}
	if strings.ContainsAny(in.Cmdline, "\r\n") {
		errs = append(errs, errors.New("cmdline: must be one line"))
	}
	if in.Epoch.Before(time.Unix(0, 0)) {
		errs = append(errs, fmt.Errorf("epoch: %s is before 1970", in.Epoch))
	}
	if !prebuilt {
		errs = append(errs, checkPath("rootfs", in.Rootfs, true))
	}
	for _, f := range []struct{ name, path string }{{"kernel", in.Kernel}, {"initrd", in.Initrd}, {"bootloader", in.Bootloader}} {
		errs = append(errs, checkPath(f.name, f.path, false))
	}
	if len(in.Ignition) > 0 {
		errs = append(errs, checkIgnition(in.Ignition))
	}
	return errors.Join(errs...)
}

// checkPath requires a directory (dir) or a non-empty regular file.
func checkPath(name, p string, dir bool) error {
	if p == "" {
		return fmt.Errorf("%s: required", name)
	}
	st, err := os.Stat(p)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case dir && !st.IsDir():
		return fmt.Errorf("%s: %s is not a directory", name, p)
	case !dir && !st.Mode().IsRegular():
		return fmt.Errorf("%s: %s is not a regular file", name, p)
	case !dir && st.Size() == 0:
		return fmt.Errorf("%s: %s is empty", name, p)
	}
	return nil
}
