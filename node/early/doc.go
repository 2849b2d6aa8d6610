// Package early is slipway-init, the initramfs's PID 1 on slipway nodes,
// as a library. Boot mounts the kernel's filesystems, loads the modules
// the initramfs carries, finds the disk's partitions by PARTLABEL (no
// udev), mounts the slot named on the kernel command line read-only at
// /sysroot with STATE as its /var and an /etc overlay whose upper
// directory lives on STATE, runs Ignition's fetch and files stages on
// first boot, and switches root to systemd. Fail prints a diagnosis and
// reboots. Decisions (command line, partition scan, filesystem detection,
// Ignition source, first-boot plan) are pure functions; the I/O sits in
// small functions in the *_linux.go files.
//
// The constants below are the contract with images/initrd, which writes
// the initramfs, and with the disk layout (images/disk).
package early

const (
	// Root is where the slot is mounted and the root filesystem assembled
	// before switching root.
	Root = "/sysroot"
	// ModuleList names the file in the initramfs's /lib/modules/<kver>/
	// that lists the modules to load, one path relative to that directory
	// per line, dependencies first.
	ModuleList = "modules.slipway"
	// IgnitionBinary is where the initramfs carries Ignition.
	IgnitionBinary = "/usr/bin/ignition"

	// LabelESP is the PARTLABEL of the EFI system partition.
	LabelESP = "esp"
	// LabelState is the PARTLABEL of STATE, mounted as /var.
	LabelState = "slipway-state"
	// LabelSlotPrefix followed by the slot name ("a", "b") is a slot's
	// PARTLABEL.
	LabelSlotPrefix = "slipway-"
	// ESPConfig is the path, on the ESP, of an Ignition config for first
	// boot. It is deleted once first boot succeeded: it may hold keys.
	ESPConfig = "slipway/config.ign"

	// VarSeededMarker, on STATE, records that the image's /var was copied
	// there.
	VarSeededMarker = "lib/slipway/var-seeded"
	// FirstBootMarker, on STATE, records that first boot completed:
	// Ignition applied its config, or there was none. Without it, the next
	// boot is a first boot again.
	FirstBootMarker = "lib/slipway/first-boot-done"
	// EtcUpper and EtcWork, on STATE, are the /etc overlay's upper and
	// work directories: what the node changed in /etc.
	EtcUpper = "lib/slipway/etc/upper"
	// EtcWork is the overlay's work directory, beside EtcUpper.
	EtcWork = "lib/slipway/etc/work"
	// IgnitionLog, on STATE, keeps the output of the last Ignition run.
	IgnitionLog = "log/slipway/ignition.log"
)

// SlotLabel returns the PARTLABEL of a slot ("a" → "slipway-a").
func SlotLabel(slot string) string { return LabelSlotPrefix + slot }
