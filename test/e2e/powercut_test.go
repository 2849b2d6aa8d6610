package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/images/disk"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/signing"
)

var errPowerCut = errors.New("power cut")

// cut is where the power goes: during the op-th write of the upgrade
// (counting from 0; earlier writes completed and synced). Inside a slot
// write, after slotBytes bytes, and with garble the bytes written since
// the last sync are lost to garbage; inside an ESP file write, with
// torn, the temporary file is left behind and the rename never happens.
type cut struct {
	op        int
	slotBytes int64
	garble    bool
	torn      bool
}

func (c cut) String() string {
	switch {
	case c.slotBytes >= 0 && c.garble:
		return fmt.Sprintf("write %d, slot at %d bytes, unsynced bytes lost", c.op, c.slotBytes)
	case c.slotBytes >= 0:
		return fmt.Sprintf("write %d, slot at %d bytes", c.op, c.slotBytes)
	case c.torn:
		return fmt.Sprintf("write %d, ESP temp file written, not renamed", c.op)
	}
	return fmt.Sprintf("before write %d", c.op)
}

// cutDevice passes writes to a disk image's Device until the power cut.
type cutDevice struct {
	ab.Device
	at  cut
	ops int
}

func (d *cutDevice) next() (now bool, err error) {
	d.ops++
	switch {
	case d.ops-1 < d.at.op:
		return false, nil
	case d.ops-1 == d.at.op:
		return true, nil
	}
	return false, errPowerCut
}

func (d *cutDevice) WriteFile(name string, r io.Reader) error {
	now, err := d.next()
	if err != nil || !now {
		if err != nil {
			return err
		}
		return d.Device.WriteFile(name, r)
	}
	if d.at.torn {
		tmp := path.Join(path.Dir(name), "."+path.Base(name)+".cut")
		if err := d.Device.WriteFile(tmp, r); err != nil {
			return err
		}
	}
	return errPowerCut
}

func (d *cutDevice) Remove(name string) error {
	if now, err := d.next(); err != nil || now {
		return errPowerCut
	}
	return d.Device.Remove(name)
}

func (d *cutDevice) Rename(o, n string) error {
	if now, err := d.next(); err != nil || now {
		return errPowerCut
	}
	return d.Device.Rename(o, n)
}

func (d *cutDevice) Slot(slot string) (ab.SlotDevice, error) {
	now, err := d.next()
	if err != nil {
		return nil, err
	}
	s, err := d.Device.Slot(slot)
	if err != nil || !now {
		return s, err
	}
	if d.at.slotBytes < 0 {
		s.Close()
		return nil, errPowerCut
	}
	return &cutSlot{SlotDevice: s, left: d.at.slotBytes, garble: d.at.garble}, nil
}

// cutSlot writes until left bytes are written, then loses power.
type cutSlot struct {
	ab.SlotDevice
	left           int64
	garble         bool
	unsyncedOffset int64
	unsyncedLen    int64
}

func (s *cutSlot) WriteAt(b []byte, off int64) (int, error) {
	n := int64(len(b))
	if n > s.left {
		n = s.left
	}
	if n > 0 {
		if _, err := s.SlotDevice.WriteAt(b[:n], off); err != nil {
			return 0, err
		}
		if s.unsyncedLen == 0 {
			s.unsyncedOffset = off
		}
		s.unsyncedLen = off + n - s.unsyncedOffset
	}
	s.left -= n
	if int(n) < len(b) {
		if s.garble && s.unsyncedLen > 0 {
			junk := make([]byte, s.unsyncedLen)
			rand.Read(junk)
			s.SlotDevice.WriteAt(junk, s.unsyncedOffset)
		}
		return int(n), errPowerCut
	}
	return len(b), nil
}

func (s *cutSlot) Sync() error {
	s.unsyncedLen = 0
	return s.SlotDevice.Sync()
}

// content is what an entry's version must find in its slot and files.
type content struct{ slot, kernel, initrd payload.Blob }

// checkConsistent: every entry systemd-boot could boot (the default, and
// each good entry it falls back to) finds its version's slot
// filesystem, kernel and initrd. It returns the default entry's version.
func checkConsistent(t *testing.T, img string, versions map[string]content) string {
	t.Helper()
	dev, err := disk.OpenDevice(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	d, err := ab.ReadDisk(dev)
	if err != nil {
		t.Fatal(err)
	}
	def, ok := d.Default()
	if !ok {
		t.Fatal("nothing is bootable")
	}
	for _, e := range d.Bootable() {
		if e.FileName() != def.FileName() && !ab.Good(e) {
			continue
		}
		want, ok := versions[e.Version]
		if !ok {
			t.Fatalf("entry %s names version %q, which was never installed", e.FileName(), e.Version)
		}
		if got := slotDigest(t, dev, e.Slot(), want.slot.Size); got != want.slot.Digest {
			t.Errorf("%s boots slot %s, which does not hold %s (%s)", e.FileName(), e.Slot(), e.Version, got)
		}
		for name, b := range map[string]payload.Blob{boot.KernelPath(e.Slot()): want.kernel, boot.InitrdPath(e.Slot()): want.initrd} {
			data, err := dev.ReadFile(name)
			sum := sha256.Sum256(data)
			if err != nil || "sha256:"+hex.EncodeToString(sum[:]) != b.Digest {
				t.Errorf("%s: %s does not hold %s's (%v)", e.FileName(), name, e.Version, err)
			}
		}
	}
	return def.Version
}

func slotDigest(t *testing.T, dev ab.Device, slot string, size int64) string {
	t.Helper()
	s, err := dev.Slot(slot)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(s, 0, size)); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
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
	versions := map[string]content{}
	for v, l := range layouts {
		p, err := payload.Open(context.Background(), l)
		if err != nil {
			t.Fatal(err)
		}
		versions[v] = content{p.Metadata.Slot, p.Metadata.Kernel, p.Metadata.Initrd}
		p.Close()
	}
	versions["1.0.0"] = freshContent(t, f.image)

	fresh := copyImage(t, f.image)
	refusedByCLI(t, fresh, layouts["2.0.0"])
	onB := copyImage(t, f.image)
	upgradeDisk(t, onB, "a", layouts["2.0.0"], cut{op: -1})
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
		size := versions[start.to].slot.Size
		var cuts []cut
		for op := 0; op <= start.writes; op++ {
			cuts = append(cuts, cut{op: op, slotBytes: -1})
		}
		slotOp := start.writes - 4
		for _, n := range []int64{0, 1, 4096, 4<<20 - 1, 4<<20 + 1, size / 2, size - 4096, size - 1} {
			cuts = append(cuts, cut{op: slotOp, slotBytes: n}, cut{op: slotOp, slotBytes: n, garble: true})
		}
		for op := slotOp + 1; op < start.writes; op++ {
			cuts = append(cuts, cut{op: op, slotBytes: -1, torn: true})
		}
		for _, c := range cuts {
			t.Run(start.name+"/"+c.String(), func(t *testing.T) {
				img := copyImage(t, start.img)
				err := upgradeDisk(t, img, start.booted, layouts[start.to], c)
				complete := c.op == start.writes
				if complete != (err == nil) || (err != nil && !errors.Is(err, errPowerCut)) {
					t.Fatalf("upgrade with the power cut %s: %v", c, err)
				}
				got := checkConsistent(t, img, versions)
				if complete && got != start.to {
					t.Errorf("after the whole upgrade %s boots, want %s", got, start.to)
				}
				if !complete && c.op < start.writes && got != start.from {
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
// power cut at c (c.op < 0: no cut).
func upgradeDisk(t *testing.T, img, booted, layout string, c cut) error {
	t.Helper()
	dev, err := disk.OpenDevice(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	var d ab.Device = dev
	if c.op >= 0 {
		d = &cutDevice{Device: dev, at: c}
	}
	n := &agent.Node{Dev: d, Booted: booted, Arch: "amd64"}
	_, err = n.Upgrade(context.Background(), agent.UpgradeOptions{Payload: layout, Skew: agent.SkewOptions{ControlPlaneVersions: []string{"1.33.0"}}})
	if c.op < 0 && err != nil {
		t.Fatal(err)
	}
	return err
}

// freshContent is what the disk build put in slot a and on the ESP.
func freshContent(t *testing.T, img string) content {
	t.Helper()
	dev, err := disk.OpenDevice(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	f := theNodeOS(t)
	c := content{slot: payload.Blob{Size: f.slotSize, Digest: f.slot}}
	for name, b := range map[string]*payload.Blob{boot.KernelPath("a"): &c.kernel, boot.InitrdPath("a"): &c.initrd} {
		data, err := dev.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		*b = payload.Blob{Size: int64(len(data)), Digest: "sha256:" + hex.EncodeToString(sum[:])}
	}
	if !strings.HasPrefix(c.slot.Digest, "sha256:") {
		c.slot.Digest = "sha256:" + c.slot.Digest
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
