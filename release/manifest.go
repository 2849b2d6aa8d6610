package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// SchemaVersion is the version of the release directory layout and of
// release.json; docs/release-layout.md is its specification.
const SchemaVersion = 1

// Files of a release directory.
const (
	ManifestFile  = "release.json"
	SumsFile      = "SHA256SUMS"
	SumsSignature = "SHA256SUMS.asc"
	PublicKeyFile = "release-key.asc"
)

// Artifact kinds.
const (
	KindPackage    = "package"
	KindRepository = "repository"
	KindImage      = "image"
	KindDisk       = "disk-image"
	KindOSImage    = "os-image"
	KindPayload    = "payload"
	KindSBOM       = "sbom"
)

// Artifact is one thing a release publishes.
type Artifact struct {
	Kind string `json:"kind" jsonschema:"enum=package,enum=repository,enum=image,enum=disk-image,enum=os-image,enum=payload,enum=sbom"`
	Name string `json:"name"`
	// Arch is empty for artifacts of every architecture (repositories,
	// multi-arch image indexes).
	Arch string `json:"arch,omitempty"`
	// Path is relative to the release directory: a file, or a directory
	// (an OCI layout, a repository).
	Path string `json:"path"`
	// Digest is the sha256 of a file; of a directory, the sha256 of its
	// SHA256SUMS-style listing (see digests.tree).
	Digest string `json:"digest" jsonschema:"pattern=^sha256:[0-9a-f]{64}$"`
	// Size is the file's size, or the sum of a directory's files.
	Size int64 `json:"size"`
	// Ref is the artifact's own content address where it has one: an
	// OCI index or manifest digest.
	Ref string `json:"ref,omitempty"`
	// Inputs name what the artifact was built from, with their digests.
	Inputs map[string]string `json:"inputs,omitempty"`
}

// Manifest is release.json.
type Manifest struct {
	SchemaVersion     int        `json:"schemaVersion" jsonschema:"enum=1"`
	Name              string     `json:"name"`
	Version           string     `json:"version"`
	KubernetesVersion string     `json:"kubernetesVersion"`
	OSVersion         string     `json:"osVersion,omitempty"`
	Architectures     []string   `json:"architectures"`
	Created           time.Time  `json:"created"`
	Artifacts         []Artifact `json:"artifacts"`
	// UpgradeFrom says which nodes may upgrade to this release under the
	// Kubernetes version-skew policy.
	UpgradeFrom UpgradePath `json:"upgradeFrom"`
	// Signed tells whether SHA256SUMS carries an OpenPGP signature.
	Signed bool `json:"signed"`
	// Spec is the Release document the release was built from: what
	// release verify --rebuild builds again.
	Spec SpecRef `json:"spec"`
}

// SpecRef names the Release document and its digest.
type SpecRef struct {
	// File is the document's path as given to slipway release.
	File   string `json:"file"`
	Digest string `json:"digest" jsonschema:"pattern=^sha256:[0-9a-f]{64}$"`
}

// UpgradePath is the part of the skew policy a release's notes state.
type UpgradePath struct {
	// ControlPlane are the Kubernetes minors a control-plane node may
	// upgrade from (one minor at a time).
	ControlPlane []string `json:"controlPlane"`
	// Workers are the minors of kube-apiservers a worker of this
	// release's kubelet may join (not newer than, at most 3 older).
	Workers []string `json:"workers"`
	Notes   string   `json:"notes"`
}

// digests remembers file digests, so that a file is read once while a
// release is described, checksummed and verified (a raw disk image is
// gigabytes, even when sparse).
type digests map[string]fileSum

type fileSum struct {
	digest string
	size   int64
}

// of returns the digest and size of the file at p.
func (d digests) of(p string) (string, int64, error) {
	if s, ok := d[p]; ok {
		return s.digest, s.size, nil
	}
	sum, n, err := fileDigest(p)
	if err == nil && d != nil {
		d[p] = fileSum{sum, n}
	}
	return sum, n, err
}

// fileDigest returns the sha256 ("sha256:HEX") and size of a file.
func fileDigest(p string) (string, int64, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", 0, err
	}
	sum, err := fileutil.SHA256(p)
	if err != nil {
		return "", 0, err
	}
	return "sha256:" + sum, fi.Size(), nil
}

// sums lists every regular file under dir as SHA256SUMS does
// ("HEX  PATH", sorted by path, paths slash-separated and relative to
// dir), leaving out the files named in skip. Symlinks and other special
// files are an error: a release directory holds plain files.
func (d digests) sums(dir string, skip ...string) (string, int64, error) {
	type line struct{ path, sum string }
	var lines []line
	var total int64
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case e.IsDir():
			return nil
		case !e.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", rel)
		}
		for _, s := range skip {
			if rel == s {
				return nil
			}
		}
		sum, n, err := d.of(p)
		if err != nil {
			return err
		}
		total += n
		lines = append(lines, line{rel, strings.TrimPrefix(sum, "sha256:")})
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].path < lines[j].path })
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s  %s\n", l.sum, l.path)
	}
	return b.String(), total, nil
}

// tree is the digest of a directory artifact: the sha256 of its
// SHA256SUMS-style listing, and the total size of its files.
func (d digests) tree(dir string) (string, int64, error) {
	list, n, err := d.sums(dir)
	if err != nil {
		return "", 0, err
	}
	h := sha256.Sum256([]byte(list))
	return "sha256:" + hex.EncodeToString(h[:]), n, nil
}

// describe fills an artifact's digest and size from its path under root.
func (d digests) describe(root string, a Artifact) (Artifact, error) {
	p := filepath.Join(root, filepath.FromSlash(a.Path))
	fi, err := os.Stat(p)
	if err != nil {
		return a, err
	}
	if fi.IsDir() {
		a.Digest, a.Size, err = d.tree(p)
	} else {
		a.Digest, a.Size, err = d.of(p)
	}
	return a, err
}
