// Package health is the node's health gate (DESIGN.md "Boot flow" step
// 3): the checks that decide whether a freshly booted OS version is
// healthy enough for systemd-bless-boot to bless its boot entry.
//
// Checks are YAML files (Load) in drop-in directories: the image's
// /usr/lib/slipway/health.d (ImageDir) and the node's
// /etc/slipway/health.d (NodeDir), where a file of the same name replaces
// the image's and an empty file or a symlink to /dev/null masks it. Run
// polls systemd units, HTTP endpoints and files through a Prober until all
// pass or the deadline passes; Record keeps the results on STATE
// (/var/lib/slipway/health) for status and rollback reasons.
//
// Deciding (parsing, merging, judging a unit's state, the polling loop)
// is separate from probing (SystemProber: systemctl, net/http, os.Stat).
// What the gate does with a failed result (reboot, mark the entry bad)
// belongs to node/agent.
package health
