// Package images builds the container images a Release names: each
// component's binaries in /usr/local/bin over a distroless-style base made
// from Debian packages (or scratch), one image per architecture combined
// into an OCI index, deterministic to the digest. Outputs are OCI layouts
// and registries (images/oci).
package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/images/rootfs"
	"github.com/slipway-dev/slipway/sources"
	"github.com/slipway-dev/slipway/spec"
)

// Built is one image index.
type Built struct {
	Name      string        `json:"name"`
	Tag       string        `json:"tag"`
	Digest    string        `json:"digest"`
	Platforms []string      `json:"platforms"`
	Index     v1.ImageIndex `json:"-"`
	Pushed    []string      `json:"pushed,omitempty"`
}

// DebFetcher returns the path of a Debian package for an architecture.
type DebFetcher func(ctx context.Context, pkg, arch string) (string, error)

// AptDownload fetches packages with `apt-get download PKG:ARCH` into
// cacheDir/debs/ARCH/, once. Foreign architectures must be known to dpkg
// (dpkg --add-architecture ARCH; apt-get update).
func AptDownload(cacheDir string) DebFetcher {
	return func(ctx context.Context, pkg, arch string) (string, error) {
		dir := filepath.Join(cacheDir, "debs", arch)
		if m, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb")); len(m) == 1 {
			return m[0], nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg+":"+arch)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("downloading %s:%s with apt-get: %v: %s", pkg, arch, err, out)
		}
		m, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
		if len(m) != 1 {
			return "", fmt.Errorf("downloading %s:%s: found %d packages", pkg, arch, len(m))
		}
		return m[0], nil
	}
}

// Options are what Build needs besides the release.
type Options struct {
	// Epoch stamps every time (SOURCE_DATE_EPOCH).
	Epoch time.Time
	// Fetcher resolves component sources.
	Fetcher *sources.Fetcher
	// Debs fetches Debian packages for bases.
	Debs DebFetcher
}

// Build makes every image of the release for every architecture.
func Build(ctx context.Context, r *spec.Release, o Options) ([]Built, error) {
	if o.Epoch.IsZero() || o.Fetcher == nil || o.Debs == nil {
		return nil, errors.New("building images: epoch, fetcher and Debian fetcher are required")
	}
	var out []Built
	for _, im := range r.Spec.Images {
		b, err := buildIndex(ctx, r, im, o)
		if err != nil {
			return nil, fmt.Errorf("building image %s: %w", im.Name, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func buildIndex(ctx context.Context, r *spec.Release, im spec.Image, o Options) (Built, error) {
	comp := r.Component(im.Component)
	b := Built{Name: im.Name, Tag: im.Tag}
	if b.Tag == "" {
		b.Tag = comp.Version
	}
	var imgs []v1.Image
	for _, arch := range r.Spec.Architectures {
		img, err := buildImage(ctx, r, im, comp, arch, b.Tag, o)
		if err != nil {
			return Built{}, fmt.Errorf("%s: %w", arch, err)
		}
		imgs = append(imgs, img)
		b.Platforms = append(b.Platforms, "linux/"+arch)
	}
	idx, err := oci.Index(imgs)
	if err != nil {
		return Built{}, err
	}
	d, err := idx.Digest()
	if err != nil {
		return Built{}, err
	}
	b.Index, b.Digest = idx, d.String()
	return b, nil
}

func buildImage(ctx context.Context, r *spec.Release, im spec.Image, comp *spec.Component, arch, tag string, o Options) (v1.Image, error) {
	epoch := oci.WithEpoch(o.Epoch)
	var layers []v1.Layer
	if im.Base != nil && len(im.Base.Debian) > 0 {
		l, err := debianBase(ctx, im.Base.Debian, arch, o)
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	bins, err := o.Fetcher.Fetch(ctx, filepath.Dir(r.File()), comp.Sources[arch])
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", comp.Name, err)
	}
	var files []oci.File
	for _, bin := range bins {
		files = append(files, oci.File{Path: "/usr/local/bin/" + bin.Name, Source: bin.Path, Mode: 0o755})
	}
	l, err := oci.LayerFromFiles(files, epoch)
	if err != nil {
		return nil, err
	}
	entry := im.Entrypoint
	if len(entry) == 0 && len(bins) == 1 {
		entry = []string{"/usr/local/bin/" + bins[0].Name}
	}
	return oci.Build(ctx, oci.ImageSpec{
		Layers:     append(layers, l),
		Platform:   v1.Platform{OS: "linux", Architecture: arch},
		Entrypoint: entry,
		User:       im.User,
		Annotations: map[string]string{
			oci.AnnotationVersion: tag,
			oci.AnnotationSource:  "slipway release " + r.Metadata.Name + " " + r.Spec.Version,
		},
	}, epoch)
}

// debianBase unpacks Debian packages (never running their scripts) into a
// tree and makes it one layer.
func debianBase(ctx context.Context, pkgs []string, arch string, o Options) (v1.Layer, error) {
	dir, err := os.MkdirTemp("", "slipway-base-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for _, p := range pkgs {
		deb, err := o.Debs(ctx, p, arch)
		if err != nil {
			return nil, err
		}
		if err := rootfs.ExtractDeb(ctx, dir, deb); err != nil {
			return nil, err
		}
	}
	return oci.LayerFromDir(dir, oci.WithEpoch(o.Epoch))
}

// WriteLayouts writes each index as an OCI layout in DIR/NAME.
func WriteLayouts(ctx context.Context, dir string, built []Built) error {
	for _, b := range built {
		if err := oci.WriteLayout(ctx, filepath.Join(dir, b.Name), b.Index, oci.WithRefName(b.Tag)); err != nil {
			return fmt.Errorf("writing %s: %w", b.Name, err)
		}
	}
	return nil
}

// Push pushes each index to REGISTRY/NAME:TAG. insecure allows plain HTTP
// beyond loopback registries.
func Push(ctx context.Context, registry string, built []Built, insecure bool) error {
	var opts []oci.Option
	if insecure {
		opts = append(opts, oci.WithInsecure())
	}
	for i := range built {
		res, err := oci.Push(ctx, registry+"/"+built[i].Name+":"+built[i].Tag, built[i].Index, opts...)
		if err != nil {
			return fmt.Errorf("pushing %s: %w", built[i].Name, err)
		}
		built[i].Pushed = res.References
	}
	return nil
}
