package agent

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/health"
)

// Slot states.
const (
	SlotEmpty      = "empty"      // no entry points at it
	SlotGood       = "good"       // blessed
	SlotStaged     = "staged"     // written, never booted yet
	SlotTrying     = "trying"     // booted, not blessed, tries left
	SlotBad        = "bad"        // tries spent: systemd-boot boots it only when nothing else is left
	SlotUnbootable = "unbootable" // its kernel or initrd is missing
)

// SlotStatus is one slot as the ESP describes it.
type SlotStatus struct {
	Slot      string `json:"slot"`
	Version   string `json:"version,omitempty"`
	Entry     string `json:"entry,omitempty"`
	State     string `json:"state"`
	Booted    bool   `json:"booted"`
	Default   bool   `json:"default"`
	TriesLeft *int   `json:"triesLeft,omitempty"`
	TriesDone *int   `json:"triesDone,omitempty"`
	// Reason says why a slot is bad, from the health results on STATE.
	Reason string `json:"reason,omitempty"`
}

// Status is what slipway-node status reports.
type Status struct {
	Booted  string       `json:"booted"`
	Default string       `json:"default,omitempty"`
	Slots   []SlotStatus `json:"slots"`
	// LastHealth is the health gate's last result (live nodes only).
	LastHealth *health.Result `json:"lastHealth,omitempty"`
	// LastUpgrade is the last upgrade this node wrote (live nodes only).
	LastUpgrade *UpgradeRecord `json:"lastUpgrade,omitempty"`
}

// Status reads the node's slots, entries and recorded results.
func (n *Node) Status() (*Status, error) {
	d, err := ab.ReadDisk(n.Dev)
	if err != nil {
		return nil, err
	}
	st := &Status{Booted: n.Booted}
	def, hasDefault := d.Default()
	if hasDefault {
		st.Default = def.Slot()
	}
	var history []health.Result
	if n.Live {
		st.LastHealth, _ = health.Last(n.healthDir())
		history, _ = health.History(n.healthDir())
		st.LastUpgrade, _ = n.lastUpgrade()
	}
	bootable := map[string]bool{}
	for _, e := range d.Bootable() {
		bootable[e.FileName()] = true
	}
	for _, slot := range []string{boot.SlotA, boot.SlotB} {
		s := SlotStatus{Slot: slot, State: SlotEmpty, Booted: slot == n.Booted, Default: hasDefault && slot == st.Default}
		if e, ok := d.EntryOf(slot); ok {
			s.Version, s.Entry = e.Version, e.FileName()
			s.State = entryState(e, bootable[e.FileName()], s.Booted)
			if e.Tries != nil {
				left, done := e.Tries.Left, e.Tries.Done
				s.TriesLeft, s.TriesDone = &left, &done
			}
			if s.State == SlotBad {
				s.Reason = badReason(e, history)
			}
		}
		st.Slots = append(st.Slots, s)
	}
	return st, nil
}

func entryState(e boot.Entry, bootable, booted bool) string {
	switch {
	case !bootable:
		return SlotUnbootable
	case e.Tries == nil:
		return SlotGood
	case e.Tries.Left == 0:
		return SlotBad
	case e.Tries.Done == 0 && !booted:
		return SlotStaged
	}
	return SlotTrying
}

// badReason explains a spent entry from the health results recorded on
// STATE for its version.
func badReason(e boot.Entry, history []health.Result) string {
	var failed []health.Result
	for _, r := range history {
		if r.Version == e.Version && !r.Passed {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return fmt.Sprintf("%s spent its %d tries without passing the health gate, which never reported (it did not boot far enough)", e.Version, e.Tries.Done)
	}
	last := failed[len(failed)-1]
	return fmt.Sprintf("%s failed the health gate on %d of its %d tries; last at %s: %s",
		e.Version, len(failed), e.Tries.Done, last.Time.UTC().Format("2006-01-02T15:04:05Z"), failures(last))
}

// failures lists a result's failing checks.
func failures(r health.Result) string {
	var out []string
	for _, c := range r.Checks {
		if !c.Passed {
			out = append(out, fmt.Sprintf("%s %s: %s", c.Kind, c.Name, c.Detail))
		}
	}
	if len(out) == 0 {
		return "failed"
	}
	return strings.Join(out, "; ")
}

func (n *Node) healthDir() string { return n.path(filepath.Join(StateDir, "health")) }
