package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/slipway-dev/slipway/internal/fileutil"
	"github.com/slipway-dev/slipway/node/skew"
	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/signing"
	"github.com/slipway-dev/slipway/spec"
)

// ErrNotARelease is returned when the output directory exists, is not
// empty, and does not hold a release this command may replace.
var ErrNotARelease = errors.New("the output directory holds something other than a release")

// Build builds the release into dir and returns its manifest. dir appears
// only when everything is built, checksummed and signed; it replaces a
// release directory already there, never anything else. Steps run in
// parallel (Options.Workers); Ctrl-C (ctx) stops them and leaves no
// partial artifact, while what finished stays in the cache.
func Build(ctx context.Context, r *spec.Release, dir string, o Options) (*Manifest, error) {
	if err := replaceable(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".building-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	b := &build{r: r, o: o, dir: tmp}
	workers := o.Workers
	if workers == 0 {
		workers = 2
	}
	g := Plan(r)
	var obs observer
	if o.Progress != nil {
		order, _ := g.Order()
		board := o.Progress.Board("release "+r.Metadata.Name+" "+r.Spec.Version, order)
		defer board.Close()
		obs = board
	}
	arts, err := g.run(ctx, workers, b, obs)
	if err != nil {
		return nil, err
	}
	m, err := finish(tmp, r, arts, o)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m, swapIn(tmp, dir)
}

// replaceable refuses a dir that exists, is not empty and has no
// release.json.
func replaceable(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(ents) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		return fmt.Errorf("%w: %s is not empty and has no %s", ErrNotARelease, dir, ManifestFile)
	}
	return nil
}

// swapIn moves the built tree to dir, replacing an earlier release.
func swapIn(tmp, dir string) error {
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// finish describes the artifacts, writes release.json, the public key,
// SHA256SUMS and its signature into dir.
func finish(dir string, r *spec.Release, arts []Artifact, o Options) (*Manifest, error) {
	// Digests a step knows already (the disk images kept in the cache
	// with theirs) are not computed again.
	memo := digests{}
	for _, a := range arts {
		if a.Digest != "" {
			memo[filepath.Join(dir, filepath.FromSlash(a.Path))] = fileSum{a.Digest, a.Size}
		}
	}
	for i := range arts {
		var err error
		if arts[i], err = memo.describe(dir, arts[i]); err != nil {
			return nil, fmt.Errorf("describing %s: %w", arts[i].Path, err)
		}
	}
	sort.Slice(arts, func(i, j int) bool {
		if arts[i].Kind != arts[j].Kind {
			return arts[i].Kind < arts[j].Kind
		}
		return arts[i].Path < arts[j].Path
	})
	specDigest, _, err := fileDigest(r.File())
	if err != nil {
		return nil, fmt.Errorf("hashing the spec: %w", err)
	}
	m := &Manifest{
		Spec:          SpecRef{File: r.File(), Digest: specDigest},
		SchemaVersion: SchemaVersion, Name: r.Metadata.Name, Version: r.Spec.Version,
		KubernetesVersion: r.Spec.KubernetesVersion, OSVersion: r.NodeOS().Version,
		Architectures: r.Spec.Architectures, Created: o.Epoch.UTC(), Artifacts: arts,
		UpgradeFrom: upgradePath(r.Spec.KubernetesVersion),
	}
	var signer *signing.Signer
	if r.Spec.Signing != nil {
		if signer, err = packages.LoadSigner(r); err != nil {
			return nil, err
		}
		signer = signer.At(o.Epoch)
		m.Signed = true
		if err := fileutil.WriteAtomic(filepath.Join(dir, PublicKeyFile), signer.PublicKeyArmored(), 0o644); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	list, _, err := memo.sums(dir, SumsFile, SumsSignature)
	if err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(filepath.Join(dir, SumsFile), []byte(list), 0o644); err != nil {
		return nil, err
	}
	if signer != nil {
		sig, err := signer.DetachSignArmored(strings.NewReader(list))
		if err != nil {
			return nil, fmt.Errorf("signing %s: %w", SumsFile, err)
		}
		if err := fileutil.WriteAtomic(filepath.Join(dir, SumsSignature), sig, 0o644); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// upgradePath states the skew policy for this release's Kubernetes
// version: a control plane comes from its own minor or the one before; a
// worker's kubelet of this version joins kube-apiservers of its minor up
// to three minors newer... never older.
func upgradePath(kube string) UpgradePath {
	k, err := spec.ParseVersion(kube)
	if err != nil {
		return UpgradePath{Notes: "unknown Kubernetes version " + kube}
	}
	v := func(d int) string { return skew.Version{Major: k.Major, Minor: k.Minor + d}.MinorString() }
	up := UpgradePath{ControlPlane: []string{v(-1), v(0)}, Workers: []string{v(0), v(1), v(2), v(3)}}
	up.Notes = fmt.Sprintf("Control-plane nodes upgrade to %s from %s.x or %s.x (one minor at a time; HA kube-apiservers within one minor). "+
		"Workers run this kubelet only against kube-apiservers %s.x to %s.x: upgrade the control plane first. "+
		"slipway-node upgrade refuses other paths unless --ignore-skew.", kube, v(-1), v(0), v(0), v(3))
	return up
}
