// Package node is the on-node agent behind slipway-node and `slipway
// node`: OS slots, boot entries, upgrades, the health gate, bless and
// rollback, and the version-skew checks (node/skew) run before any write.
// It runs on every node, so it stays small: it must not import build-side
// packages (nfpm, go-diskfs writers, packages/, release/); depcheck_test.go
// enforces that.
package node
