package agent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/health"
)

// GateAction is what the health gate does after its checks.
type GateAction string

// The gate's actions.
const (
	// GatePass: healthy; systemd-bless-boot blesses the entry.
	GatePass GateAction = "pass"
	// GateStay: unhealthy, but no other good slot exists (or this one is
	// already blessed): report and stay up, never loop.
	GateStay GateAction = "stay"
	// GateRetry: unhealthy while tries are left: reboot to try again
	// (systemd-boot counts the try).
	GateRetry GateAction = "retry"
	// GateFallback: unhealthy on the last try: mark the entry bad and
	// reboot into the other good slot.
	GateFallback GateAction = "fallback"
)

// DecideGate is the health gate's decision, from the checks' outcome,
// the booted entry and the entries of the other slot that can boot.
func DecideGate(passed bool, booted boot.Entry, others []boot.Entry) GateAction {
	if passed {
		return GatePass
	}
	if booted.Blessed() {
		return GateStay
	}
	fallback := false
	for _, e := range others {
		fallback = fallback || (e.Slot() != booted.Slot() && ab.Good(e))
	}
	switch {
	case !fallback:
		return GateStay
	case booted.Tries.Left > 0:
		return GateRetry
	}
	return GateFallback
}

// GateResult is what slipway-node health reports.
type GateResult struct {
	Result health.Result `json:"result"`
	Action GateAction    `json:"action"`
}

// Health runs the health checks of dirs. With gate set (the boot's
// slipway-health.service) it also acts on the result: see DecideGate.
// The result is recorded on STATE on a live node. A nil p is
// health.SystemProber().
func (n *Node) Health(ctx context.Context, dirs []string, p health.Prober, gate bool) (*GateResult, error) {
	d, err := ab.ReadDisk(n.Dev)
	if err != nil {
		return nil, err
	}
	booted, ok := d.EntryOf(n.Booted)
	if !ok {
		return nil, fmt.Errorf("slot %s booted but has no boot entry", n.Booted)
	}
	if gate && n.Live {
		if err := n.abandonedSwap(booted.Version); err != nil {
			return nil, err
		}
	}
	if p == nil {
		p = health.SystemProber()
	}
	res := runChecks(ctx, dirs, p)
	res.Entry, res.Version = booted.FileName(), booted.Version
	if n.Live {
		if err := health.Record(n.healthDir(), res); err != nil {
			return nil, err
		}
	}
	var others []boot.Entry
	for _, e := range d.Bootable() {
		if e.Slot() != n.Booted {
			others = append(others, e)
		}
	}
	out := &GateResult{Result: res, Action: DecideGate(res.Passed, booted, others)}
	if !gate {
		return out, nil
	}
	return out, n.act(out.Action, booted)
}

// act carries out the gate's decision.
func (n *Node) act(a GateAction, booted boot.Entry) error {
	switch a {
	case GatePass:
		n.logf("health gate: %s on slot %s is healthy", booted.Version, n.Booted)
		if n.Live {
			return n.commitManifests(booted.Version)
		}
	case GateStay:
		n.logf("health gate: %s on slot %s is unhealthy; no other good slot to fall back to, so the node stays up", booted.Version, n.Booted)
	case GateRetry:
		n.logf("health gate: %s on slot %s is unhealthy with %d tries left: rebooting to try again", booted.Version, n.Booted, booted.Tries.Left)
		return n.reboot()
	case GateFallback:
		marked, err := markBad(n.Dev, booted)
		if err != nil {
			return err
		}
		n.logf("health gate: %s on slot %s is unhealthy on its last try: marked bad (%s), rebooting into the other slot", booted.Version, n.Booted, marked)
		if n.Live {
			if err := n.restoreManifests(); err != nil {
				return err
			}
		}
		return n.reboot()
	}
	return nil
}

func (n *Node) reboot() error {
	if n.Reboot == nil {
		return nil
	}
	return n.Reboot()
}

// abandonedSwap restores the manifests of a version this node fell back
// to without the gate's help (the new one never reached it).
func (n *Node) abandonedSwap(booted string) error {
	s, err := n.pendingSwap()
	if err != nil || s.From != booted || s.To == booted {
		return nil
	}
	n.logf("manifests: %s was abandoned; restoring %s's", s.To, booted)
	return n.restoreManifests()
}

// runChecks loads the check files and runs them. Check files that do not
// load fail the gate like a failing check (so a broken file cannot bless
// a version), after the valid files' checks ran.
func runChecks(ctx context.Context, dirs []string, p health.Prober) health.Result {
	cfg, err := health.Load(dirs...)
	res := health.Run(ctx, cfg, p, time.Now)
	if err != nil {
		res.Passed = false
		res.Checks = append(res.Checks, health.CheckResult{Kind: "config", Name: strings.Join(dirs, ", "), Detail: err.Error()})
	}
	return res
}
