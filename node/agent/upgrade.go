package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/internal/fileutil"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/payload"
)

// UpgradeOptions say what to install and how carefully.
type UpgradeOptions struct {
	// Payload is a registry reference or an OCI layout directory.
	Payload string
	// Insecure allows plain HTTP to a registry that is not on loopback.
	Insecure bool
	// Keyring holds the OpenPGP public keys payloads must be signed by;
	// empty accepts an unsigned payload (and says so).
	Keyring []byte
	// Skew says how the version-skew policy is checked.
	Skew SkewOptions
	// Manifests is a directory of static-pod manifests for the new
	// version, swapped in after the slot is written (live only).
	Manifests string
	// SkipEtcdSnapshot skips the etcd snapshot on a control-plane node.
	SkipEtcdSnapshot bool
	// Reboot reboots into the new version once it is written.
	Reboot bool
}

// UpgradeRecord is what an upgrade leaves on STATE and reports.
type UpgradeRecord struct {
	Time     time.Time `json:"time"`
	Payload  string    `json:"payload"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Slot     string    `json:"slot"`
	Digest   string    `json:"digest,omitempty"`
	Entry    string    `json:"entry,omitempty"`
	NoOp     bool      `json:"noop,omitempty"`
	Snapshot string    `json:"etcdSnapshot,omitempty"`
	// Manifests are the static-pod manifests swapped in.
	Manifests []string `json:"manifests,omitempty"`
	// SkewIgnored records a skew violation overridden with --ignore-skew.
	SkewIgnored string `json:"skewIgnored,omitempty"`
	// SlotSeconds is how long the slot write took: streaming the payload
	// in, syncing, reading it back.
	SlotSeconds float64 `json:"slotSeconds,omitempty"`
}

// ErrInvalidPayload wraps every reason a payload is refused before any
// byte is written: digest, signature, architecture, skew.
var ErrInvalidPayload = errors.New("payload refused")

// Upgrade installs the payload into the slot that did not boot, by the
// A/B protocol: everything is verified before the first write, then the
// target's entries are removed, the slot, kernel and initrd written and
// the new entry written last with its tries.
func (n *Node) Upgrade(ctx context.Context, o UpgradeOptions) (*UpgradeRecord, error) {
	var popts []payload.Option
	if o.Insecure {
		popts = append(popts, payload.WithInsecure())
	}
	n.logf("reading payload %s", o.Payload)
	p, err := payload.Open(ctx, o.Payload, popts...)
	if err != nil {
		return nil, refused(err)
	}
	defer p.Close()
	m := p.Metadata
	d, err := ab.ReadDisk(n.Dev)
	if err != nil {
		return nil, err
	}
	rec := &UpgradeRecord{Time: time.Now().UTC(), Payload: o.Payload, To: m.Version, Digest: m.Slot.Digest}
	if e, ok := d.EntryOf(n.Booted); ok {
		rec.From = e.Version
	}
	if err := n.verify(ctx, p, o, rec); err != nil {
		return nil, err
	}
	if rec.From == m.Version {
		n.logf("%s is already running on slot %s: nothing to do", m.Version, n.Booted)
		rec.NoOp, rec.Slot = true, n.Booted
		return rec, nil
	}
	if n.Live && !o.SkipEtcdSnapshot {
		if rec.Snapshot, err = n.SnapshotEtcd(ctx); err != nil {
			return nil, err
		}
	}
	plan, err := ab.PlanUpgrade(d, n.Booted, m.Version, n.cmdline(d, m.Cmdline))
	if err != nil {
		return nil, err
	}
	rec.Slot, rec.Entry = plan.Target, plan.Ops[len(plan.Ops)-1].Entry.FileName()
	if rec.SlotSeconds, err = n.exec(ctx, p, plan); err != nil {
		return nil, err
	}
	if n.Live && o.Manifests != "" {
		if rec.Manifests, err = n.swapManifests(o.Manifests, rec.From, m.Version); err != nil {
			return nil, fmt.Errorf("%s is installed on slot %s, but swapping the static-pod manifests failed: %w", m.Version, plan.Target, err)
		}
	}
	if n.Live {
		if err := n.recordUpgrade(rec); err != nil {
			return nil, err
		}
	}
	n.logf("%s is installed on slot %s (entry %s, %d tries): it boots next", m.Version, plan.Target, rec.Entry, boot.DefaultTries)
	if o.Reboot && n.Reboot != nil {
		n.logf("rebooting")
		return rec, n.Reboot()
	}
	return rec, nil
}

func refused(err error) error { return fmt.Errorf("%w: %w", ErrInvalidPayload, err) }

// verify refuses a payload before any write: architecture, signature,
// blob digests (for a local layout, read fully here), version skew.
func (n *Node) verify(ctx context.Context, p *payload.Payload, o UpgradeOptions, rec *UpgradeRecord) error {
	if err := p.CheckArch(n.Arch); err != nil {
		return refused(err)
	}
	switch {
	case len(o.Keyring) > 0:
		if err := p.VerifySignature(o.Keyring); err != nil {
			return refused(err)
		}
		n.logf("signature: good")
	case p.Signature != nil:
		n.logf("signature: present but not verified (no key given)")
	default:
		n.logf("signature: none (no key given, so an unsigned payload is accepted)")
	}
	if isLocal(o.Payload) {
		if err := p.VerifyBlobs(ctx); err != nil {
			return refused(err)
		}
		n.logf("digests: slot, kernel and initrd match the metadata")
	}
	ignored, err := n.checkSkew(ctx, p.Metadata.KubernetesVersion, o.Skew)
	if err != nil {
		return err
	}
	rec.SkewIgnored = ignored
	return nil
}

// isLocal reports whether ref names an OCI layout directory (DIR or
// DIR:TAG) rather than a registry reference.
func isLocal(ref string) bool {
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		return true
	}
	if i := strings.LastIndexByte(ref, ':'); i > 0 {
		if fi, err := os.Stat(ref[:i]); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// cmdline is the new entry's kernel command line: the payload's, else
// the booted entry's (so node-specific arguments carry over).
func (n *Node) cmdline(d ab.Disk, fromPayload string) string {
	if fromPayload != "" {
		return fromPayload
	}
	e, ok := d.EntryOf(n.Booted)
	if !ok {
		return ""
	}
	var keep []string
	for _, f := range strings.Fields(e.Options) {
		if !strings.HasPrefix(f, boot.SlotParam) {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// exec writes the plan with progress, and returns how long the slot
// write took.
func (n *Node) exec(ctx context.Context, p *payload.Payload, plan ab.Plan) (float64, error) {
	m := p.Metadata
	blob := func(which string, b payload.Blob) ab.Blob {
		return ab.Blob{Size: b.Size, Digest: b.Digest, Open: func(ctx context.Context) (io.ReadCloser, error) { return p.Open(ctx, which) }}
	}
	c := ab.Contents{Slot: blob("slot", m.Slot), Kernel: blob("kernel", m.Kernel), Initrd: blob("initrd", m.Initrd)}
	var tr interface{ Done() }
	var slotStart time.Time
	var slotTime time.Duration
	endSlot := func() {
		if !slotStart.IsZero() && slotTime == 0 {
			slotTime = time.Since(slotStart)
		}
	}
	opts := ab.ExecOptions{
		Step: func(i int, op ab.Op) {
			if tr != nil {
				tr.Done()
				tr = nil
			}
			endSlot()
			if op.Kind == ab.WriteSlot {
				slotStart = time.Now()
			}
			n.logf("step %d/%d: %s", i+1, len(plan.Ops), op)
		},
	}
	if n.Progress != nil {
		t := n.Progress.Transfer(fmt.Sprintf("writing slot %s", plan.Target))
		opts.Written = func(done, total int64) { t.Set(done, total); tr = t }
	}
	err := ab.Exec(ctx, n.Dev, plan, c, opts)
	if tr != nil {
		tr.Done()
	}
	endSlot()
	if err != nil {
		return 0, fmt.Errorf("upgrading slot %s to %s (slot %s still boots): %w", plan.Target, m.Version, plan.Active, err)
	}
	return slotTime.Seconds(), nil
}

func (n *Node) upgradeRecordPath() string { return n.path(filepath.Join(StateDir, "upgrade.json")) }

func (n *Node) recordUpgrade(rec *UpgradeRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(n.upgradeRecordPath()), 0o755); err != nil {
		return err
	}
	return fileutil.WriteAtomic(n.upgradeRecordPath(), append(b, '\n'), 0o644)
}

func (n *Node) lastUpgrade() (*UpgradeRecord, error) {
	b, err := os.ReadFile(n.upgradeRecordPath())
	if err != nil {
		return nil, err
	}
	var rec UpgradeRecord
	return &rec, json.Unmarshal(b, &rec)
}
