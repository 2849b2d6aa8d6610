// Package drill is the destructive validation level, for test clusters
// only: it exercises the A/B protocol for real on a node's disk. The
// power is cut (at the device: every write after the cut fails, as on a
// machine that is off) before each write of an upgrade, inside the slot
// write (with the unsynced bytes lost) and inside the entry write, and
// after each cut the disk must still boot the version it booted, with
// every bootable entry finding its own slot, kernel and initrd. Then the
// upgrade completes, is rolled back, is staged again and left unblessed
// until systemd-boot's tries run out, and the booted slot must come back
// untouched. The other slot is overwritten and left marked bad.
package drill

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/node/validate"
)

// Options say what the drills install.
type Options struct {
	// Upgrade is the upgrade that is cut, completed and rolled back. Its
	// payload must hold another version than the booted one; a registry
	// payload is fetched once into WorkDir. Reboot, manifests and the
	// etcd snapshot are not used.
	Upgrade agent.UpgradeOptions
	// WorkDir holds a fetched payload while the drills run; "" is the
	// system's temporary directory.
	WorkDir string
	// OnCheck, when set, is told each check as it ends (the drills take
	// a while: a slot write per cut).
	OnCheck func(validate.Check)
	// Upgrader runs one upgrade on n; nil is agent.Node.Upgrade. Tests
	// swap in a broken protocol to see the drills fail.
	Upgrader func(ctx context.Context, n *agent.Node, o agent.UpgradeOptions) error
}

// drill is one run.
type drill struct {
	n        *agent.Node
	o        Options
	rep      *validate.Report
	booted   boot.Entry
	target   string // the slot the upgrade writes
	version  string // the payload's version
	versions Versions
}

// Run runs the drills on n and returns their report (level
// "destructive"). It stops at the first failure: the disk is then left
// as the failing step left it, for inspection.
func Run(ctx context.Context, n *agent.Node, o Options) *validate.Report {
	rep := &validate.Report{Level: "destructive"}
	if o.Upgrader == nil {
		o.Upgrader = func(ctx context.Context, n *agent.Node, uo agent.UpgradeOptions) error {
			_, err := n.Upgrade(ctx, uo)
			return err
		}
	}
	o.Upgrade.Reboot, o.Upgrade.Manifests, o.Upgrade.SkipEtcdSnapshot = false, "", true
	d := &drill{n: n, o: o, rep: rep}
	ref, cleanup, err := d.localPayload(ctx)
	if err != nil {
		d.fail("payload", err)
		return rep
	}
	defer cleanup()
	d.o.Upgrade.Payload = ref
	// The cuts come after a staged upgrade was rolled back, so the
	// target's kernel, initrd and (bad) entry are on the ESP while they
	// run: a protocol that wrote the entry too early would boot a torn
	// slot instead of being saved by a missing kernel.
	steps := []func(context.Context) bool{d.start, d.complete, d.rollback, d.powerCuts, d.triesRunOut, d.untouched}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			d.fail("interrupted", err)
			return rep
		}
		if !step(ctx) {
			return rep
		}
	}
	return rep
}

func (d *drill) add(c validate.Check) {
	d.rep.Checks = append(d.rep.Checks, c)
	if d.o.OnCheck != nil {
		d.o.OnCheck(c)
	}
}

func (d *drill) pass(name, detail string) {
	d.add(validate.Check{Name: name, Result: validate.Pass, Detail: detail})
}

func (d *drill) fail(name string, err error) bool {
	d.add(validate.Check{Name: name, Result: validate.Fail, Detail: err.Error()})
	return false
}

// localPayload returns a local layout of the payload: itself, or the
// registry's copy fetched once (every cut reads it again).
func (d *drill) localPayload(ctx context.Context) (string, func(), error) {
	uo := d.o.Upgrade
	var opts []payload.Option
	if uo.Insecure {
		opts = append(opts, payload.WithInsecure())
	}
	p, err := payload.Open(ctx, uo.Payload, opts...)
	if err != nil {
		return "", nil, err
	}
	defer p.Close()
	d.version = p.Metadata.Version
	m := p.Metadata
	d.versions = Versions{m.Version: {Slot: m.Slot, Kernel: m.Kernel, Initrd: m.Initrd}}
	if p.Local {
		return uo.Payload, func() {}, nil
	}
	dir, err := os.MkdirTemp(d.o.WorkDir, "slipway-drill-payload-")
	if err != nil {
		return "", nil, err
	}
	l, err := layout.Write(dir, empty.Index)
	if err == nil {
		err = l.AppendImage(p.Image())
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("fetching %s: %w", uo.Payload, err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// start records what every bootable entry boots and checks the disk is
// consistent before anything is written.
func (d *drill) start(context.Context) bool {
	disk, err := ab.ReadDisk(d.n.Dev)
	if err != nil {
		return d.fail("before: the disk", err)
	}
	e, ok := disk.EntryOf(d.n.Booted)
	if !ok {
		return d.fail("before: the disk", fmt.Errorf("the booted slot %s has no entry", d.n.Booted))
	}
	if e.Version == d.version {
		return d.fail("before: the disk", fmt.Errorf("the payload holds %s, which slot %s runs: the drills need another version", d.version, d.n.Booted))
	}
	d.booted = e
	if d.target, err = boot.OtherSlot(d.n.Booted); err != nil {
		return d.fail("before: the disk", err)
	}
	def, ok := disk.Default()
	if !ok {
		return d.fail("before: the disk", errors.New("nothing is bootable"))
	}
	for _, b := range disk.Bootable() {
		if b.FileName() != def.FileName() && !ab.Good(b) && b.Slot() != d.n.Booted {
			continue
		}
		if b.Version == d.version {
			continue // the payload says what it must hold
		}
		c, err := installed(d.n.Dev, b)
		if err != nil {
			return d.fail("before: the disk", fmt.Errorf("reading what %s boots: %w", b.FileName(), err))
		}
		d.versions[b.Version] = c
	}
	if _, err := Consistent(d.n.Dev, d.versions); err != nil {
		return d.fail("before: the disk", fmt.Errorf("not consistent before the drills: %w", err))
	}
	d.pass("before: the disk", fmt.Sprintf("slot %s boots %s; the drills install %s into slot %s", d.n.Booted, e.Version, d.version, d.target))
	return true
}

// cutPoint is one power cut, named after the write it hits.
type cutPoint struct {
	op   ab.Op
	cut  Cut // At is set to op when it runs
	name string
}

// cutPoints are the cuts of the upgrade planned on the disk as it is:
// before every write, inside the slot write (after its first byte; half
// way and one byte short, the unsynced bytes lost), and inside the entry
// write.
func (d *drill) cutPoints() ([]cutPoint, error) {
	plan, err := d.plan()
	if err != nil {
		return nil, err
	}
	size := d.versions[d.version].Slot.Size
	var out []cutPoint
	for _, op := range plan.Ops {
		out = append(out, cutPoint{op: op, cut: Cut{SlotBytes: -1}, name: "power cut before " + opName(op)})
		switch op.Kind {
		case ab.WriteSlot:
			for _, c := range []struct {
				at     int64
				garble bool
				what   string
			}{{1, false, "after its first byte"}, {size / 2, true, "half way, unsynced bytes lost"}, {size - 1, true, "one byte short, unsynced bytes lost"}} {
				out = append(out, cutPoint{op: op, cut: Cut{SlotBytes: c.at, Garble: c.garble}, name: "power cut in " + opName(op) + " " + c.what})
			}
		case ab.WriteEntry:
			out = append(out, cutPoint{op: op, cut: Cut{SlotBytes: -1, Torn: true}, name: "power cut in " + opName(op) + ", temp file written, not renamed"})
		}
	}
	return out, nil
}

func opName(op ab.Op) string {
	switch op.Kind {
	case ab.WriteSlot:
		return "the write of slot " + op.Slot
	case ab.RemoveEntry:
		return "the removal of " + op.Path
	case ab.WriteEntry:
		return "the write of the new entry"
	}
	return "the write of " + op.Path
}

// plan is the upgrade planned on the disk as it is now.
func (d *drill) plan() (ab.Plan, error) {
	disk, err := ab.ReadDisk(d.n.Dev)
	if err != nil {
		return ab.Plan{}, err
	}
	return ab.PlanUpgrade(disk, d.n.Booted, d.version, "")
}

// planned reports whether the upgrade planned on the disk as it is now
// still does op: a removal an earlier cut let happen is not planned
// again.
func (d *drill) planned(op ab.Op) (bool, error) {
	plan, err := d.plan()
	if err != nil {
		return false, err
	}
	for _, p := range plan.Ops {
		if p.Kind == op.Kind && p.Path == op.Path && p.Slot == op.Slot {
			return true, nil
		}
	}
	return false, nil
}

// powerCuts runs the upgrade once per cut point, each from the disk the
// cut before left, as on a node whose power fails again and again while
// it retries: the booted version must stay the default and consistent.
func (d *drill) powerCuts(ctx context.Context) bool {
	points, err := d.cutPoints()
	if err != nil {
		return d.fail("power cuts", err)
	}
	for _, p := range points {
		if ok, err := d.planned(p.op); err != nil || !ok {
			if err != nil {
				return d.fail(p.name, err)
			}
			d.add(validate.Check{Name: p.name, Result: validate.Skip, Detail: "done by an earlier cut's upgrade"})
			continue
		}
		c := p.cut
		c.At = &ab.Op{Kind: p.op.Kind, Path: p.op.Path, Slot: p.op.Slot}
		cut := *d.n
		cut.Dev = &CutDevice{Device: d.n.Dev, At: c}
		cut.Progress, cut.Reboot, cut.Log = nil, nil, nil
		err = d.o.Upgrader(ctx, &cut, d.o.Upgrade)
		if !errors.Is(err, ErrPowerCut) {
			return d.fail(p.name, fmt.Errorf("the upgrade did not stop at the cut: %v", err))
		}
		def, err := Consistent(d.n.Dev, d.versions)
		if err == nil && def.Version != d.booted.Version {
			err = fmt.Errorf("%s is the default, want %s until the upgrade completes", def.FileName(), d.booted.Version)
		}
		if c.Torn {
			if rerr := d.n.Dev.Remove(TornName(p.op.Path)); err == nil {
				err = rerr
			}
		}
		if err != nil {
			return d.fail(p.name, err)
		}
		d.pass(p.name, fmt.Sprintf("boots %s from slot %s; every bootable entry holds its version", def.Version, def.Slot()))
	}
	return true
}

// upgrade runs the whole upgrade and checks the new version is the
// default, with its tries.
func (d *drill) upgrade(ctx context.Context) (boot.Entry, error) {
	n := *d.n
	n.Progress, n.Reboot, n.Log = nil, nil, nil
	if err := d.o.Upgrader(ctx, &n, d.o.Upgrade); err != nil {
		return boot.Entry{}, err
	}
	def, err := Consistent(d.n.Dev, d.versions)
	if err != nil {
		return def, err
	}
	if def.Version != d.version || def.Slot() != d.target || def.Tries == nil {
		return def, fmt.Errorf("%s is the default, want %s on slot %s with tries", def.FileName(), d.version, d.target)
	}
	return def, nil
}

// complete runs the whole upgrade.
func (d *drill) complete(ctx context.Context) bool {
	def, err := d.upgrade(ctx)
	if err != nil {
		return d.fail("upgrade stages the new version", err)
	}
	d.pass("upgrade stages the new version", fmt.Sprintf("%s staged on slot %s (%s)", d.version, d.target, def.FileName()))
	return true
}

// rollback cancels the staged upgrade.
func (d *drill) rollback(context.Context) bool {
	res, err := d.n.Rollback(false)
	if err != nil {
		return d.fail("rollback of the staged upgrade", err)
	}
	def, err := Consistent(d.n.Dev, d.versions)
	if err == nil && def.Slot() != d.n.Booted {
		err = fmt.Errorf("%s is the default after the rollback, want slot %s", def.FileName(), d.n.Booted)
	}
	if err != nil {
		return d.fail("rollback of the staged upgrade", err)
	}
	d.pass("rollback of the staged upgrade", fmt.Sprintf("slot %s (%s) boots next; %s", def.Slot(), def.Version, res.Marked))
	return true
}

// triesRunOut stages the upgrade again (after the cuts) and boots it, as systemd-boot
// does, without a blessing: each boot counts a try (the entry renamed
// +N-M to +N-1-M+1) and boots the new version, consistent, until no try
// is left; then the booted slot is the default again.
func (d *drill) triesRunOut(ctx context.Context) bool {
	const name = "unblessed new version: tries run out"
	if _, err := d.upgrade(ctx); err != nil {
		return d.fail(name, fmt.Errorf("staging again after the cuts: %w", err))
	}
	tries := 0
	for ; tries <= boot.DefaultTries; tries++ {
		def, err := Consistent(d.n.Dev, d.versions)
		if err != nil {
			return d.fail(name, fmt.Errorf("boot %d: %w", tries+1, err))
		}
		if def.Slot() != d.target {
			break
		}
		if def.Tries == nil || def.Tries.Left == 0 {
			return d.fail(name, fmt.Errorf("boot %d: %s would boot with no tries left", tries+1, def.FileName()))
		}
		tried := def
		tried.Tries = &boot.Tries{Left: def.Tries.Left - 1, Done: def.Tries.Done + 1}
		if err := d.n.Dev.Rename(def.Path(), tried.Path()); err != nil {
			return d.fail(name, err)
		}
	}
	def, err := Consistent(d.n.Dev, d.versions)
	if err == nil && (tries != boot.DefaultTries || def.Slot() != d.n.Booted) {
		err = fmt.Errorf("after %d unblessed boots of slot %s, %s is the default; want %d boots, then slot %s", tries, d.target, def.FileName(), boot.DefaultTries, d.n.Booted)
	}
	if err != nil {
		return d.fail(name, err)
	}
	d.pass(name, fmt.Sprintf("slot %s booted %s %d times unblessed, then slot %s (%s) is the default", d.target, d.version, tries, def.Slot(), def.Version))
	return true
}

// untouched checks the booted slot's filesystem, kernel and initrd hold
// what they held before the drills.
func (d *drill) untouched(context.Context) bool {
	name := fmt.Sprintf("booted slot %s untouched", d.n.Booted)
	c, err := installed(d.n.Dev, d.booted)
	if err == nil && c != d.versions[d.booted.Version] {
		err = fmt.Errorf("slot %s, its kernel or its initrd changed during the drills", d.n.Booted)
	}
	if err != nil {
		return d.fail(name, err)
	}
	d.pass(name, fmt.Sprintf("%s: slot filesystem %s, kernel and initrd as before; slot %s is left holding %s, marked bad", d.booted.Version, short(c.Slot.Digest), d.target, d.version))
	return true
}
