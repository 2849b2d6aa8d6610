// Package disk builds and reads slipway's bootable GPT disk images
// (DESIGN.md "Disk layout", "Boot flow"): an ESP holding systemd-boot, its
// loader.conf and one Boot Loader Specification entry per slot, two A/B
// root slots (DPS root type) and a STATE partition (DPS var type, ext4).
//
// Build writes a fresh image with the rootfs in slot a, its entry blessed
// (no boot counter) and slot b empty. Images are sparse raw files and
// deterministic: disk and partition GUIDs, the FAT serial, the ext4 UUID and
// hash seed derive from the version, the epoch and a label, and every
// timestamp is the epoch, so the same input gives the same bytes.
// ConvertQcow2 converts an image, Inspect reads one back (raw only), and
// Personalize copies an image and puts a node's Ignition config on the copy.
//
// The boot-entry model (entries, loader.conf, systemd-boot's default
// selection) is the pure package node/boot, shared with the node agent.
package disk
