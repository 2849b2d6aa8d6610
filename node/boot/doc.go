// Package boot is the pure model of slipway's boot configuration on the
// ESP (DESIGN.md "Boot flow"): Boot Loader Specification Type #1 entries
// with their Automatic Boot Assessment counters (Entry, Tries),
// loader.conf (Loader), systemd-boot 252's menu order and default
// selection (SortEntries, SelectDefault, CompareVersions), and the names
// and paths of slots (SlotEntry, KernelPath, ...).
//
// It decides and encodes; it does no I/O and imports only the standard
// library, so node/ (the agent on every node) and images/disk (which
// writes fresh disks) share it without node/ pulling in disk writers.
package boot
