//go:build linux

package early

import (
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// apiMounts are the kernel filesystems mounted first. They move into the
// new root at switch-root.
var apiMounts = []struct {
	fstype, dir string
	flags       uintptr
	data        string
}{
	{"proc", "/proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", unix.MS_NOSUID, "mode=0755"},
	{"tmpfs", "/run", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
}

// mountAPI mounts /proc, /sys, /dev and /run, then reads the command line.
func (b *boot) mountAPI(context.Context) (string, error) {
	for _, m := range apiMounts {
		if err := mountAt(m.fstype, m.dir, m.fstype, m.flags, m.data); err != nil {
			return "", err
		}
	}
	data, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return "", fmt.Errorf("reading /proc/cmdline: %w", err)
	}
	b.cmd, err = ParseCmdline(string(data))
	if err != nil {
		return "", fmt.Errorf("reading the kernel command line %q: %w", strings.TrimSpace(string(data)), err)
	}
	return fmt.Sprintf("/proc /sys /dev /run; slot %s", b.cmd.Slot), nil
}

// mountAt creates dir and mounts there.
func mountAt(src, dir, fstype string, flags uintptr, data string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := unix.Mount(src, dir, fstype, flags, data); err != nil {
		return fmt.Errorf("mounting %s (%s) on %s: %w", src, fstype, dir, err)
	}
	return nil
}

// findPartitions waits for the slot's and STATE's partitions.
func (b *boot) findPartitions(ctx context.Context) (string, error) {
	need := []string{SlotLabel(b.cmd.Slot), LabelState}
	p, err := WaitPartitions(ctx, SysBlock, need, b.cmd.DeviceTimeout)
	b.parts = p
	if err != nil {
		return "", fmt.Errorf("waiting for partitions: %w", err)
	}
	return p.String(), nil
}

// mountSysroot mounts the slot read-only at Root.
func (b *boot) mountSysroot(context.Context) (string, error) {
	dev, fstype, err := b.device(SlotLabel(b.cmd.Slot))
	if err != nil {
		return "", err
	}
	if fstype != "squashfs" && fstype != "erofs" {
		return "", fmt.Errorf("slot %s (%s) holds %s, not squashfs or erofs", b.cmd.Slot, dev, fstype)
	}
	if err := mountAt(dev, Root, fstype, unix.MS_RDONLY, ""); err != nil {
		return "", err
	}
	for _, d := range []string{"/var", "/etc", "/dev", "/proc", "/sys", "/run"} {
		if st, err := os.Stat(Root + d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("the image in slot %s has no %s directory", b.cmd.Slot, d)
		}
	}
	return fmt.Sprintf("%s %s read-only", fstype, dev), nil
}

// device returns the device of a label and its filesystem type.
func (b *boot) device(label string) (dev, fstype string, err error) {
	if dev, err = b.parts.Device(label); err != nil {
		return "", "", err
	}
	f, err := os.Open(dev)
	if err != nil {
		return "", "", fmt.Errorf("opening %s: %w", dev, err)
	}
	defer f.Close()
	if fstype, err = DetectFS(f); err != nil {
		return "", "", fmt.Errorf("reading %s (%s): %w", dev, label, err)
	}
	return dev, fstype, nil
}
