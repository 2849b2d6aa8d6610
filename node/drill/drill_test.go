package drill

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/internal/abtest"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
	npayload "github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/node/validate"
)

// testNode is a node on a temp dir whose slot a boots 1.0.0 (1 MiB of
// random bytes), blessed; slot b is empty.
func testNode(t *testing.T) (*agent.Node, *ab.Live) {
	t.Helper()
	dir := t.TempDir()
	dev := abtest.Disk(t, dir, 8<<20, "1.0.0", abtest.Random(t, 1<<20))
	return &agent.Node{Dev: dev, Booted: "a", Arch: "amd64", Root: filepath.Join(dir, "root")}, dev
}

// testPayload writes a payload layout of version 2.0.0 with random blobs.
func testPayload(t *testing.T) string {
	return abtest.BuildPayload(t, "2.0.0", "1.33.1", "amd64", nil).Dir
}

func options(layout string) Options {
	return Options{Upgrade: agent.UpgradeOptions{Payload: layout, Skew: agent.SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}}}
}

// TestDrillsPass: on a node running the real protocol every drill
// passes: the upgrade staged and rolled back, then 5 cuts before writes
// (the bad entry's removal first), 3 inside the slot write and one
// inside the entry write, then tries running out; slot a's bytes are as
// before.
func TestDrillsPass(t *testing.T) {
	n, dev := testNode(t)
	before, err := os.ReadFile(dev.Slots["a"])
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), n, options(testPayload(t)))
	var sb strings.Builder
	rep.Print(&sb)
	if !rep.OK() {
		t.Fatalf("drills failed:\n%s", sb.String())
	}
	passed := 0
	for _, c := range rep.Checks {
		if c.Result == validate.Pass {
			passed++
		}
	}
	if passed != 1+2+5+3+1+2 {
		t.Errorf("%d checks passed, want 14:\n%s", passed, sb.String())
	}
	for _, want := range []string{"power cut in the write of slot b half way", "the write of the new entry, temp file written", "tries run out", "booted slot a untouched"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, sb.String())
		}
	}
	after, _ := os.ReadFile(dev.Slots["a"])
	if string(after) != string(before) {
		t.Error("the drills changed slot a")
	}
	d, _ := ab.ReadDisk(dev)
	if def, _ := d.Default(); def.Slot() != "a" {
		t.Errorf("after the drills %s is the default, want slot a", def.FileName())
	}
	if ents, _ := dev.ReadDir(boot.EntriesDir); len(ents) != 2 {
		t.Errorf("entries left: %v, want a's and b's (bad)", ents)
	}
}

// TestDrillsCatchABrokenProtocol: an upgrade that writes the new entry
// before the slot (the protocol's order broken) is caught by the first
// cut at the slot write: the new entry is already the default, and
// what it boots is about to be overwritten.
func TestDrillsCatchABrokenProtocol(t *testing.T) {
	n, _ := testNode(t)
	o := options(testPayload(t))
	o.Upgrader = entryFirst
	rep := Run(context.Background(), n, o)
	last := rep.Checks[len(rep.Checks)-1]
	if rep.OK() || last.Result != validate.Fail || last.Name != "power cut before the write of slot b" || !strings.Contains(last.Detail, "slipway-b+3.conf is the default") {
		var sb strings.Builder
		rep.Print(&sb)
		t.Fatalf("want the drills to fail at the slot write, naming the early entry:\n%s", sb.String())
	}
}

// entryFirst is an upgrade with the protocol's order broken: the entry
// is written before the slot, kernel and initrd.
func entryFirst(ctx context.Context, n *agent.Node, o agent.UpgradeOptions) error {
	p, err := npayload.Open(ctx, o.Payload)
	if err != nil {
		return err
	}
	defer p.Close()
	d, err := ab.ReadDisk(n.Dev)
	if err != nil {
		return err
	}
	plan, err := ab.PlanUpgrade(d, n.Booted, p.Metadata.Version, "")
	if err != nil {
		return err
	}
	last := len(plan.Ops) - 1
	entry := plan.Ops[last]
	ops := append([]ab.Op{}, plan.Ops[:last]...)
	for i, op := range ops {
		if op.Kind == ab.WriteSlot {
			ops = append(ops[:i], append([]ab.Op{entry}, ops[i:]...)...)
			break
		}
	}
	plan.Ops = ops
	blob := func(which string, b npayload.Blob) ab.Blob {
		return ab.Blob{Size: b.Size, Digest: b.Digest, Open: func(ctx context.Context) (io.ReadCloser, error) { return p.Open(ctx, which) }}
	}
	m := p.Metadata
	return ab.Exec(ctx, n.Dev, plan, ab.Contents{Slot: blob("slot", m.Slot), Kernel: blob("kernel", m.Kernel), Initrd: blob("initrd", m.Initrd)}, ab.ExecOptions{})
}
