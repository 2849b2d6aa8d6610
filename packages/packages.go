// Package packages builds a release's deb and rpm packages for every
// architecture with nfpm, reproducibly (file times from SOURCE_DATE_EPOCH,
// sorted contents, deterministic signatures), caching each package by the
// digest of its inputs, and publishes them as apt and yum repositories.
package packages

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/internal/staging"
	"github.com/slipway-dev/slipway/signing"
	"github.com/slipway-dev/slipway/sources"
	"github.com/slipway-dev/slipway/spec"
)

// Artifact is one built package file.
type Artifact struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Format  string `json:"format"`
	// File is the file name inside the output directory.
	File string `json:"file"`
	Size int64  `json:"size"`
	// SHA256 is the digest of the file as written.
	SHA256 string `json:"sha256"`
	// ContentSHA256 is the digest of the package before signing (equal to
	// SHA256 for unsigned packages): what reproducibility is judged on.
	ContentSHA256 string `json:"contentSha256"`
	// Signed tells whether the package carries an OpenPGP signature.
	Signed bool `json:"signed"`
	// Cached tells whether the package came from the cache.
	Cached bool `json:"cached"`
}

// NodeAgentFunc returns the path of the slipway-node binary for an
// architecture, used when a release does not declare the component.
// slipway-init must sit beside it, named like it with slipway-init in
// place of slipway-node (bin/slipway-init-linux-ARCH).
type NodeAgentFunc func(arch string) (string, error)

// ErrNoNodeAgent is returned when no slipway-node binary is available.
var ErrNoNodeAgent = errors.New("no slipway-node binary")

type options struct {
	cacheDir  string
	epoch     time.Time
	nodeAgent NodeAgentFunc
	progress  progress.Reporter
	parallel  int
	fetcher   *sources.Fetcher
	signer    *signing.Signer
	debsig    bool
}

// Option configures Build.
type Option func(*options) error

// WithCacheDir sets the content-addressed cache (default
// $XDG_CACHE_HOME/slipway).
func WithCacheDir(dir string) Option {
	return func(o *options) error { o.cacheDir = dir; return nil }
}

// WithSourceDateEpoch stamps every file time and signature with t.
func WithSourceDateEpoch(t time.Time) Option {
	return func(o *options) error { o.epoch = t.UTC(); return nil }
}

// WithNodeAgent supplies slipway-node binaries per architecture.
func WithNodeAgent(f NodeAgentFunc) Option {
	return func(o *options) error { o.nodeAgent = f; return nil }
}

// WithProgress reports progress (default: nothing).
func WithProgress(r progress.Reporter) Option {
	return func(o *options) error { o.progress = r; return nil }
}

// WithParallel builds n packages at once (default: the number of CPUs).
func WithParallel(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("parallel must be at least 1, not %d", n)
		}
		o.parallel = n
		return nil
	}
}

// WithSigner signs packages with s instead of the key the spec names.
func WithSigner(s *signing.Signer) Option {
	return func(o *options) error { o.signer = s; return nil }
}

// DefaultCacheDir is sources.DefaultCacheDir: packages share the cache
// with the downloads they are made of.
func DefaultCacheDir() string { return sources.DefaultCacheDir() }

func newOptions(r *spec.Release, opts []Option) (*options, error) {
	o := &options{parallel: runtime.NumCPU(), progress: progress.Discard()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.cacheDir == "" {
		o.cacheDir = DefaultCacheDir()
	}
	if o.epoch.IsZero() {
		return nil, errors.New("a source date epoch is required (set SOURCE_DATE_EPOCH)")
	}
	if o.fetcher == nil {
		o.fetcher = &sources.Fetcher{CacheDir: o.cacheDir}
	}
	if o.signer == nil && r.Spec.Signing != nil {
		s, err := LoadSigner(r)
		if err != nil {
			return nil, err
		}
		o.signer = s
	}
	if o.signer != nil {
		o.signer = o.signer.At(o.epoch)
		o.debsig = r.Spec.Signing != nil && r.Spec.Signing.Debsig
	}
	return o, nil
}

// LoadSigner loads the key spec.signing names, relative to the spec file
// (the passphrase, if any, from the environment variable it names).
func LoadSigner(r *spec.Release) (*signing.Signer, error) {
	s := r.Spec.Signing
	p := s.OpenPGPKey
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(r.File()), p)
	}
	var pass []byte
	if s.PassphraseEnv != "" {
		pass = []byte(os.Getenv(s.PassphraseEnv))
	}
	signer, err := signing.Load(p, pass)
	if err != nil {
		return nil, fmt.Errorf("loading signing key: %w", err)
	}
	return signer, nil
}

// Build builds every package of the release for every architecture and
// format into outDir. Packages appear in outDir only when all are built;
// on failure outDir is left as it was.
func Build(ctx context.Context, r *spec.Release, outDir string, opts ...Option) ([]Artifact, error) {
	o, err := newOptions(r, opts)
	if err != nil {
		return nil, err
	}
	stage, err := staging.New(outDir)
	if err != nil {
		return nil, err
	}
	defer stage.Abort()
	arts, err := build(ctx, r, o, stage.Path)
	if err != nil {
		return nil, err
	}
	if err := stage.Commit(); err != nil {
		return nil, err
	}
	return arts, nil
}
