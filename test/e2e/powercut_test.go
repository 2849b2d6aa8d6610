package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/images/disk"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/drill"
	"github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/signing"
)

// checkConsistent: every entry systemd-boot could boot (the default, and
// each good entry it falls back to) finds its version's slot
// filesystem, kernel and initrd. It returns the default entry's version.
func checkConsistent(t *testing.T, img string, versions drill.Versions) string {
	t.Helper()
	dev, err := disk.OpenDevice(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	def, err := drill.Consistent(dev, versions)
	if err != nil {
		t.Error(err)
	}
	return def.Version
}

var (
	cutOnce  sync.Once
	cutPaths map[string]string
)

// TestPowerCutDuringUpgrade cuts the power at every write of an upgrade
// of a real disk image file and at many points inside the slot write
// (with and without losing the unsynced bytes) and inside each ESP file
// write, from two starting disks: a fresh one (slot a boots; no entry to
// remove) and one whose blessed 2.0.0 on slot b boots (a's entry is
// removed first). After each cut, every entry that can boot finds the
// content of its version; and the uncut upgrade boots the new version.
func TestPowerCutDuringUpgrade(t *testing.T) {
	f := theNodeOS(t)
	layouts := abPayloads(t, f)
	versions := drill.Versions{}
	for v, l := range layouts {
		p, err := payload.Open(context.Background(), l)
		if err != nil {
			t.Fatal(err)
		}
		versions[v] = drill.Content{Slot: p.Metadata.Slot, Kernel: p.Metadata.Kernel, Initrd: p.Metadata.Initrd}
		p.Close()
	}
	versions["1.0.0"] = freshContent(t, f.image)

	fresh := copyImage(t, f.image)
	refusedByCLI(t, fresh, layouts["2.0.0"])
	onB := copyImage(t, f.image)
	upgradeDisk(t, onB, "a", layouts["2.0.0"], nil)
	if r := slipway(t, nil, "node", "bless", "--disk", onB, "--booted", "b"); r.code != 0 {
		t.Fatalf("bless: %s", r.stderr)
	}
	tried := 0
	for _, start := range []struct {
		name, img, booted, from, to string
		writes                      int
	}{
		{"fresh disk, a boots, 2.0.0 into b", fresh, "a", "1.0.0", "2.0.0", 4},
		{"2.0.0 blessed on b boots, 3.0.0 into a", onB, "b", "2.0.0", "3.0.0", 5},
	} {
		size := versions[start.to].Slot.Size
		var cuts []drill.Cut
		for op := 0; op <= start.writes; op++ {
			cuts = append(cuts, drill.Cut{Op: op, SlotBytes: -1})
		}
		slotOp := start.writes - 4
		for _, n := range []int64{0, 1, 4096, 4<<20 - 1, 4<<20 + 1, size / 2, size - 4096, size - 1} {
			cuts = append(cuts, drill.Cut{Op: slotOp, SlotBytes: n}, drill.Cut{Op: slotOp, SlotBytes: n, Garble: true})
		}
		for op := slotOp + 1; op < start.writes; op++ {
			cuts = append(cuts, drill.Cut{Op: op, SlotBytes: -1, Torn: true})
		}
		for _, c := range cuts {
			t.Run(start.name+"/"+c.String(), func(t *testing.T) {
				img := copyImage(t, start.img)
				err := upgradeDisk(t, img, start.booted, layouts[start.to], &c)
				complete := c.Op == start.writes
				if complete != (err == nil) || (err != nil && !errors.Is(err, drill.ErrPowerCut)) {
					t.Fatalf("upgrade with the power cut %s: %v", c, err)
				}
				got := checkConsistent(t, img, versions)
				if complete && got != start.to {
					t.Errorf("after the whole upgrade %s boots, want %s", got, start.to)
				}
				if !complete && c.Op < start.writes && got != start.from {
					t.Errorf("the cut upgrade boots %s, want %s", got, start.from)
				}
			})
			tried++
		}
	}
	t.Logf("power cut at %d points", tried)
	if tried < 20 {
		t.Errorf("only %d cut points", tried)
	}
}

// upgradeDisk runs the agent's upgrade on a disk image file with the
// power cut at c (nil: no cut).
func upgradeDisk(t *testing.T, img, booted, layout string, c *drill.Cut) error {
	t.Helper()
	dev, err := disk.OpenDevice(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	var d ab.Device = dev
	if c != nil {
		d = &drill.CutDevice{Device: dev, At: *c}
	}
	n := &agent.Node{Dev: d, Booted: booted, Arch: "amd64"}
	_, err = n.Upgrade(context.Background(), agent.UpgradeOptions{Payload: layout, Skew: agent.SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}})
	if c == nil && err != nil {
		t.Fatal(err)
	}
	return err
}

// freshContent is what the disk build put in slot a and on the ESP.
func freshContent(t *testing.T, img string) drill.Content {
	t.Helper()
	dev, err := disk.OpenDevice(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	f := theNodeOS(t)
	c := drill.Content{Slot: payload.Blob{Size: f.slotSize, Digest: f.slot}}
	for name, b := range map[string]*payload.Blob{boot.KernelPath("a"): &c.Kernel, boot.InitrdPath("a"): &c.Initrd} {
		data, err := dev.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		*b = payload.Blob{Size: int64(len(data)), Digest: "sha256:" + hex.EncodeToString(sum[:])}
	}
	if !strings.HasPrefix(c.Slot.Digest, "sha256:") {
		c.Slot.Digest = "sha256:" + c.Slot.Digest
	}
	return c
}

// abPayloads builds the payloads of 2.0.0 (a changed file) and 3.0.0
// (a failing health check) derived from the e2e node OS, once.
func abPayloads(t *testing.T, f *nodeOS) map[string]string {
	t.Helper()
	cutOnce.Do(func() {
		cutPaths = map[string]string{}
		v2 := derivedRelease(t, f, "2.0.0", func(tree string) {
			writeTreeFile(t, tree, "usr/share/slipway-e2e/changed", "2.0.0\n")
		})
		v3 := derivedRelease(t, f, "3.0.0", func(tree string) {
			writeTreeFile(t, tree, "usr/lib/systemd/system/slipway-e2e-broken.service",
				"[Unit]\nDescription=a unit that fails (v3's health check watches it)\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/false\n")
			linkTree(t, tree, "../slipway-e2e-broken.service", "usr/lib/systemd/system/multi-user.target.wants/slipway-e2e-broken.service")
			// A file without a deadline holds the gate for the default 5m.
			writeTreeFile(t, tree, "usr/lib/slipway/health.d/10-node.yaml", "deadline: 20s\nunits: [containerd.service]\n")
			writeTreeFile(t, tree, "usr/lib/slipway/health.d/50-e2e.yaml", "deadline: 20s\ninterval: 2s\nunits: [slipway-e2e-broken.service]\n")
		})
		cutPaths["2.0.0"] = buildPayloadLayout(t, f, v2, "2.0.0")
		cutPaths["3.0.0"] = buildPayloadLayout(t, f, v3, "3.0.0")
	})
	if len(cutPaths) != 2 {
		t.Fatal("building the 2.0.0 and 3.0.0 payloads failed (see the first test that tried)")
	}
	return cutPaths
}

// refusedByCLI: slipway node upgrade refuses, with exit status 2 and the
// reason, a payload that breaks the skew policy (a worker whose kubelet
// would be newer than the apiserver) or lacks the signature a key asks
// for, and leaves the image file as it was.
func refusedByCLI(t *testing.T, img, layout string) {
	t.Helper()
	before := fileSHA256(t, img)
	key := filepath.Join(t.TempDir(), "key.asc")
	armored, err := signing.Generate("release", "release@example.com", time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.Parse(armored, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, s.PublicKeyArmored(), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"node", "upgrade", "--disk", img, "--booted", "a", "--payload", layout}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--role", "worker", "--control-plane-version", "1.32.4"}, "kubelet must not be newer than kube-apiserver"},
		{[]string{"--control-plane-version", "1.33.0", "--key", key}, "carries no signature"},
	} {
		r := slipway(t, nil, append(base, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("slipway %s: exit %d, want 2 saying %q\n%s", strings.Join(c.args, " "), r.code, c.want, r.stderr)
		}
	}
	if fileSHA256(t, img) != before {
		t.Error("a refused upgrade changed the disk image")
	}
}

// TestValidateDestructive: `slipway validate node --destructive` drills a
// real disk image file with the 2.0.0 payload: every drill passes, and
// the disk still boots 1.0.0 from slot a, consistent, slot b left bad.
// Without --payload it is refused with exit status 2.
func TestValidateDestructive(t *testing.T) {
	f := theNodeOS(t)
	layouts := abPayloads(t, f)
	img := copyImage(t, f.image)
	base := []string{"validate", "node", "--disk", img, "--booted", "a", "--destructive"}
	if r := slipway(t, nil, base...); r.code != 2 || !strings.Contains(r.stderr, "--payload is required") {
		t.Errorf("--destructive without --payload: exit %d, want 2\n%s", r.code, r.stderr)
	}
	r := slipway(t, nil, append(base, "--payload", layouts["2.0.0"], "--control-plane-version", "1.33.0")...)
	if r.code != 0 || !strings.Contains(r.stdout, "validate destructive: pass") {
		t.Fatalf("validate --destructive: exit %d\n%s%s", r.code, r.stdout, tail(r.stderr))
	}
	for _, want := range []string{
		"power cut before the removal of loader/entries/slipway-b+0.conf",
		"power cut in the write of slot b half way, unsynced bytes lost",
		"power cut in the write of the new entry, temp file written, not renamed",
		"unblessed new version: tries run out", "booted slot a untouched",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.stdout)
		}
	}
	t.Logf("validate --destructive on a disk image:\n%s", r.stdout)
	p, err := payload.Open(context.Background(), layouts["2.0.0"])
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	versions := drill.Versions{"1.0.0": freshContent(t, f.image), "2.0.0": {Slot: p.Metadata.Slot, Kernel: p.Metadata.Kernel, Initrd: p.Metadata.Initrd}}
	if got := checkConsistent(t, img, versions); got != "1.0.0" {
		t.Errorf("after the drills the disk boots %s, want 1.0.0", got)
	}
}
