package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/abtest"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/signing"
)

const slotSize = 8 << 20

// testNode is a node on a temp dir: the ESP a directory, the slots
// files, its root (STATE, /etc) another directory. Booted slot a holds
// version 1.0.0, blessed, as a fresh disk.
func testNode(t *testing.T) *Node {
	t.Helper()
	dir := t.TempDir()
	dev := abtest.Disk(t, dir, slotSize, "1.0.0", nil)
	root := filepath.Join(dir, "root")
	writeFile(t, filepath.Join(root, OSRelease), "IMAGE_VERSION=1.0.0\nSLIPWAY_KUBERNETES_VERSION=1.33.0\n")
	return &Node{Dev: dev, Booted: "a", Arch: "amd64", Root: root}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildPayload writes a payload layout of version for arch with random
// blobs, signed when key is set.
var buildPayload = abtest.BuildPayload

// snapshot is everything on the node's disk, to prove nothing changed.
func snapshot(t *testing.T, n *Node) string {
	t.Helper()
	h := sha256.New()
	l := n.Dev.(*ab.Live)
	filepath.Walk(l.ESP, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	for _, s := range []string{"a", "b"} {
		b, _ := os.ReadFile(l.Slots[s])
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func slotHolds(t *testing.T, n *Node, slot string, want []byte) {
	t.Helper()
	b, err := os.ReadFile(n.Dev.(*ab.Live).Slots[slot])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:len(want)], want) {
		t.Errorf("slot %s does not hold the payload's slot filesystem", slot)
	}
}

func status(t *testing.T, n *Node) map[string]SlotStatus {
	t.Helper()
	st, err := n.Status()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]SlotStatus{"default": {Slot: st.Default}}
	for _, s := range st.Slots {
		out[s.Slot] = s
	}
	return out
}

func TestUpgradeStagesTheOtherSlot(t *testing.T) {
	n := testNode(t)
	p := buildPayload(t, "2.0.0", "1.33.1", "amd64", nil)
	rec, err := n.Upgrade(context.Background(), UpgradeOptions{Payload: p.Dir, Skew: SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Slot != "b" || rec.Entry != "slipway-b+3.conf" || rec.From != "1.0.0" || rec.To != "2.0.0" {
		t.Errorf("upgrade record %+v", rec)
	}
	slotHolds(t, n, "b", p.Slot)
	for name, want := range map[string][]byte{boot.KernelPath("b"): p.Kernel, boot.InitrdPath("b"): p.Initrd} {
		if got, _ := n.Dev.ReadFile(name); !bytes.Equal(got, want) {
			t.Errorf("%s does not hold the payload's", name)
		}
	}
	st := status(t, n)
	if st["default"].Slot != "b" || st["b"].State != SlotStaged || st["a"].State != SlotGood || !st["a"].Booted {
		t.Errorf("status after staging: %+v", st)
	}

	// Double upgrade without reboot: the staged slot is replaced.
	p3 := buildPayload(t, "3.0.0", "1.33.1", "amd64", nil)
	if _, err := n.Upgrade(context.Background(), UpgradeOptions{Payload: p3.Dir, Skew: SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}}); err != nil {
		t.Fatal(err)
	}
	slotHolds(t, n, "b", p3.Slot)
	if st := status(t, n); st["b"].Version != "3.0.0" || st["default"].Slot != "b" {
		t.Errorf("status after a second upgrade: %+v", st)
	}
	names, _ := n.Dev.ReadDir(boot.EntriesDir)
	if strings.Join(names, " ") != "slipway-a.conf slipway-b+3.conf" {
		t.Errorf("entries after two upgrades: %v", names)
	}

	// The version already running: nothing to do, nothing written.
	p1 := buildPayload(t, "1.0.0", "1.33.0", "amd64", nil)
	before := snapshot(t, n)
	rec, err = n.Upgrade(context.Background(), UpgradeOptions{Payload: p1.Dir, Skew: SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}})
	if err != nil || !rec.NoOp {
		t.Fatalf("upgrade to the running version: %+v, %v", rec, err)
	}
	if snapshot(t, n) != before {
		t.Error("a no-op upgrade changed the disk")
	}
}

// TestUpgradeRefusesBeforeWriting: a wrong architecture, a bad or
// missing signature, a corrupted blob, a skew violation: refused with
// ErrInvalidPayload and not one byte of the disk changed.
func TestUpgradeRefusesBeforeWriting(t *testing.T) {
	key, err := signing.Generate("release", "release@example.com", time.Unix(1600000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	other, err := signing.Generate("stranger", "stranger@example.com", time.Unix(1600000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	pub := func(k []byte) []byte {
		s, err := signing.Parse(k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.PublicKeyArmored()
	}
	signed := buildPayload(t, "2.0.0", "1.33.1", "amd64", key)
	corrupt := buildPayload(t, "2.0.0", "1.33.1", "amd64", nil)
	flipBlob(t, corrupt.Dir, corrupt.Slot)
	cp := SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}
	cases := []struct {
		name string
		o    UpgradeOptions
		want string
	}{
		{"wrong architecture", UpgradeOptions{Payload: buildPayload(t, "2.0.0", "1.33.1", "arm64", nil).Dir, Skew: cp}, "arm64"},
		{"signed by another key", UpgradeOptions{Payload: signed.Dir, Keyring: pub(other), Skew: cp}, "signature"},
		{"unsigned with a key", UpgradeOptions{Payload: corrupt.Dir, Keyring: pub(key), Skew: cp}, "sign"},
		{"corrupted slot blob", UpgradeOptions{Payload: corrupt.Dir, Skew: cp}, "the metadata says"},
		{"kubelet newer than the apiserver", UpgradeOptions{Payload: signed.Dir, Skew: SkewOptions{ControlPlaneVersions: []string{"1.32.4"}}}, "must not be newer"},
		{"control plane two minors", UpgradeOptions{Payload: buildPayload(t, "2.0.0", "1.35.0", "amd64", nil).Dir, Skew: SkewOptions{Role: RoleControlPlane, ControlPlaneVersions: []string{"1.33.0"}}}, "one minor version at a time"},
		{"no control-plane version", UpgradeOptions{Payload: signed.Dir}, "--control-plane-version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := testNode(t)
			before := snapshot(t, n)
			_, err := n.Upgrade(context.Background(), c.o)
			if !errors.Is(err, ErrInvalidPayload) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrInvalidPayload mentioning %q", err, c.want)
			}
			if snapshot(t, n) != before {
				t.Error("the refused payload changed the disk")
			}
		})
	}
	t.Run("good signature", func(t *testing.T) {
		n := testNode(t)
		if _, err := n.Upgrade(context.Background(), UpgradeOptions{Payload: signed.Dir, Keyring: pub(key), Skew: cp}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("skew ignored", func(t *testing.T) {
		n := testNode(t)
		rec, err := n.Upgrade(context.Background(), UpgradeOptions{Payload: signed.Dir, Skew: SkewOptions{Ignore: true, ControlPlaneVersions: []string{"1.32.4"}}})
		if err != nil || !strings.Contains(rec.SkewIgnored, "must not be newer") {
			t.Fatalf("--ignore-skew: %+v, %v", rec, err)
		}
	})
}

// flipBlob flips a byte of the layout's blob holding content.
func flipBlob(t *testing.T, layout string, content []byte) {
	t.Helper()
	sum := sha256.Sum256(content)
	p := filepath.Join(layout, "blobs", "sha256", hex.EncodeToString(sum[:]))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("the layout has no blob for the slot: %v", err)
	}
	b[len(b)/2] ^= 0xff
	os.Remove(p) // it may be a hard link to the source
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// bootTarget does what systemd-boot does when it boots the default
// entry: counts a try, and the node then runs from its slot.
func bootTarget(t *testing.T, n *Node) {
	t.Helper()
	d, err := ab.ReadDisk(n.Dev)
	if err != nil {
		t.Fatal(err)
	}
	// ReadDisk knows which files exist, not their versions: Boot picks
	// and counts, slotHolds and the upgrade tests check content.
	next, e, _, ok := d.Boot()
	if !ok {
		t.Fatal("nothing boots")
	}
	if now, _ := next.EntryOf(e.Slot()); now.FileName() != e.FileName() {
		if err := n.Dev.Rename(e.Path(), now.Path()); err != nil {
			t.Fatal(err)
		}
	}
	n.Booted = e.Slot()
	_, kube := n.OSVersions()
	writeFile(t, filepath.Join(n.Root, OSRelease), "IMAGE_VERSION="+e.Version+"\nSLIPWAY_KUBERNETES_VERSION="+kube+"\n")
}

func TestRollbackAndBless(t *testing.T) {
	n := testNode(t)
	p := buildPayload(t, "2.0.0", "1.33.1", "amd64", nil)
	cp := SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}
	if _, err := n.Upgrade(context.Background(), UpgradeOptions{Payload: p.Dir, Skew: cp}); err != nil {
		t.Fatal(err)
	}
	// Rolling back a staged upgrade cancels it.
	res, err := n.Rollback(false)
	if err != nil || res.To != "a" || res.Marked != "slipway-b+0.conf" {
		t.Fatalf("rollback of a staged upgrade: %+v, %v", res, err)
	}
	if st := status(t, n); st["default"].Slot != "a" || st["b"].State != SlotBad {
		t.Errorf("after rollback: %+v", st)
	}
	if _, err := n.Rollback(false); !errors.Is(err, ErrNoFallback) {
		t.Errorf("rollback with the other slot bad: %v", err)
	}

	// Upgrade again, boot it, bless it; rollback then goes back to a.
	if _, err := n.Upgrade(context.Background(), UpgradeOptions{Payload: p.Dir, Skew: cp}); err != nil {
		t.Fatal(err)
	}
	bootTarget(t, n)
	if st := status(t, n); n.Booted != "b" || st["b"].State != SlotTrying || *st["b"].TriesLeft != 2 {
		t.Fatalf("booting the new slot: %+v", st)
	}
	if name, err := n.Bless(); err != nil || name != "slipway-b.conf" {
		t.Fatalf("bless: %s, %v", name, err)
	}
	if st := status(t, n); st["b"].State != SlotGood || st["default"].Slot != "b" {
		t.Errorf("after bless: %+v", st)
	}
	if res, err := n.Rollback(false); err != nil || res.To != "a" || res.Version != "1.0.0" {
		t.Fatalf("rollback from a blessed b: %+v, %v", res, err)
	}
	bootTarget(t, n)
	if n.Booted != "a" {
		t.Errorf("after rollback, slot %s boots", n.Booted)
	}
}

func TestDecideGate(t *testing.T) {
	blessed := boot.SlotEntry("a", "1.0.0", "")
	trying := boot.SlotEntry("b", "2.0.0", "")
	trying.Tries = &boot.Tries{Left: 2, Done: 1}
	last := trying
	last.Tries = &boot.Tries{Left: 0, Done: 3}
	badA := blessed
	badA.Tries = &boot.Tries{Left: 0, Done: 3}
	cases := []struct {
		name   string
		passed bool
		booted boot.Entry
		others []boot.Entry
		want   GateAction
	}{
		{"healthy", true, trying, []boot.Entry{blessed}, GatePass},
		{"healthy only slot", true, blessed, nil, GatePass},
		{"unhealthy with tries left", false, trying, []boot.Entry{blessed}, GateRetry},
		{"unhealthy on the last try", false, last, []boot.Entry{blessed}, GateFallback},
		{"unhealthy only slot", false, trying, nil, GateStay},
		{"unhealthy, other slot bad", false, last, []boot.Entry{badA}, GateStay},
		{"unhealthy but blessed", false, blessed, []boot.Entry{trying}, GateStay},
	}
	for _, c := range cases {
		if got := DecideGate(c.passed, c.booted, c.others); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// checksDir writes a health check file and returns its directory.
func checksDir(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "10-test.yaml"), content)
	return dir
}

// TestHealthGate: an upgraded node whose checks fail reboots to try
// again while tries are left; on the last try it marks the entry bad,
// restores the static-pod manifests the upgrade swapped in, and reboots
// into the good slot, where status says why. A blessed slot that fails
// stays up.
func TestHealthGate(t *testing.T) {
	n := testNode(t)
	n.Live = true
	reboots := 0
	n.Reboot = func() error { reboots++; return nil }
	live := filepath.Join(n.Root, ManifestsDir)
	writeFile(t, filepath.Join(live, "kube-apiserver.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, annotations: {v: '1'}}\n")
	newDir := t.TempDir()
	writeFile(t, filepath.Join(newDir, "kube-apiserver.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, annotations: {v: '2'}}\n")
	writeFile(t, filepath.Join(newDir, "extra.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: extra}\n")
	p := buildPayload(t, "2.0.0", "1.33.1", "amd64", nil)
	rec, err := n.Upgrade(context.Background(), UpgradeOptions{Payload: p.Dir, Manifests: newDir})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rec.Manifests, " ") != "extra.yaml kube-apiserver.yaml" {
		t.Errorf("manifests swapped: %v", rec.Manifests)
	}
	if b, _ := os.ReadFile(filepath.Join(live, "kube-apiserver.yaml")); !strings.Contains(string(b), "'2'") {
		t.Fatalf("the new kube-apiserver manifest is not in place: %s", b)
	}
	failing := []string{checksDir(t, "deadline: 300ms\ninterval: 50ms\nfiles: [/nonexistent/kubelet.conf]\n")}
	passing := []string{checksDir(t, "deadline: 1s\nfiles: ["+filepath.Join(live, "kube-apiserver.yaml")+"]\n")}

	for try := 1; try <= boot.DefaultTries; try++ {
		bootTarget(t, n)
		g, err := n.Health(context.Background(), failing, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		want := GateRetry
		if try == boot.DefaultTries {
			want = GateFallback
		}
		if g.Action != want || g.Result.Passed || reboots != try {
			t.Fatalf("try %d: action %s, passed %v, %d reboots", try, g.Action, g.Result.Passed, reboots)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(live, "kube-apiserver.yaml")); !strings.Contains(string(b), "'1'") {
		t.Errorf("the fallback did not restore the old kube-apiserver manifest: %s", b)
	}
	if _, err := os.Stat(filepath.Join(live, "extra.yaml")); err == nil {
		t.Error("the fallback left the manifest the upgrade added")
	}
	bootTarget(t, n)
	st, err := n.Status()
	if err != nil {
		t.Fatal(err)
	}
	if n.Booted != "a" || st.Slots[1].State != SlotBad || !strings.Contains(st.Slots[1].Reason, "3 of its 3 tries") ||
		!strings.Contains(st.Slots[1].Reason, "/nonexistent/kubelet.conf") {
		t.Errorf("after the fallback: booted %s, %+v", n.Booted, st.Slots)
	}
	g, err := n.Health(context.Background(), failing, nil, true)
	if err != nil || g.Action != GateStay || reboots != boot.DefaultTries {
		t.Errorf("a blessed slot failing: %+v, %v, %d reboots", g, err, reboots)
	}
	if g, err := n.Health(context.Background(), passing, nil, true); err != nil || g.Action != GatePass {
		t.Errorf("passing checks: %+v, %v", g, err)
	}
	broken := append(passing, checksDir(t, "deadline: 1s\nunits: 3\n"))
	g, err = n.Health(context.Background(), broken, nil, true)
	if err != nil || g.Result.Passed || g.Action != GateStay || g.Result.Checks[len(g.Result.Checks)-1].Kind != "config" {
		t.Errorf("a check file that does not load must fail the gate: %+v, %v", g, err)
	}
}
