// Package agent is the node agent's logic behind slipway-node and
// slipway node: status, upgrade, rollback, health and bless on one node
// disk, live (the ESP at /efi, the slot block devices, the node's state
// on STATE) or a disk image file offline. Decisions are pure functions
// (ab.PlanUpgrade, DecideGate, skew.CheckUpgrade); this package reads
// the inputs, carries the decisions out through an ab.Device and
// records what happened on STATE, where status finds it.
package agent
