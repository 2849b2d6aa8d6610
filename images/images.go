// Package images builds the container images a Release names: each
// component's binaries in /usr/local/bin over a distroless-style base made
// from Debian packages (or scratch), one image per architecture combined
// into an OCI index, deterministic to the digest. Outputs are OCI layouts
// and registries (images/oci).
package images

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/images/rootfs"
	"github.com/slipway-dev/slipway/internal/progress"
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
	// Revision is written as org.opencontainers.image.revision when set
	// (the CLI passes the spec's git commit).
	Revision string
	// Progress shows one step per image and architecture; nil shows nothing.
	Progress progress.Reporter

	step func(string)
}

// layerCache keeps built layers in the fetcher's cache directory.
func (o Options) layerCache() oci.Option {
	return oci.WithLayerCache(filepath.Join(o.Fetcher.CacheDir, "layers"))
}

// Build makes every image of the release for every architecture.
func Build(ctx context.Context, r *spec.Release, o Options) ([]Built, error) {
	if o.Epoch.IsZero() || o.Fetcher == nil || o.Debs == nil {
		return nil, errors.New("building images: epoch, fetcher and Debian fetcher are required")
	}
	if o.Progress == nil {
		o.Progress = progress.Discard()
	}
	ims := r.Images()
	stage := o.Progress.Stage("building images", len(ims)*len(r.Spec.Architectures))
	o.step = stage.Step
	var out []Built
	for _, im := range ims {
		b, err := buildIndex(ctx, r, im, o)
		if err != nil {
			stage.Abort()
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
		o.step(im.Name + " linux/" + arch)
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
	bins, err := o.Fetcher.Fetch(ctx, filepath.Dir(r.File()), arch, comp.Sources[arch])
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", comp.Name, err)
	}
	base, layers, err := baseOf(ctx, r, im, bins, arch, o)
	if err != nil {
		return nil, err
	}
	var files []oci.File
	for _, bin := range bins {
		files = append(files, oci.File{Path: "/usr/local/bin/" + bin.Name, Source: bin.Path, Mode: 0o755})
	}
	l, err := oci.LayerFromFiles(files, epoch, o.layerCache())
	if err != nil {
		return nil, err
	}
	entry := im.Entrypoint
	if len(entry) == 0 && len(bins) == 1 {
		entry = []string{"/usr/local/bin/" + bins[0].Name}
	}
	ann := map[string]string{
		oci.AnnotationVersion: tag,
		oci.AnnotationSource:  "slipway release " + r.Metadata.Name + " " + r.Spec.Version,
	}
	if o.Revision != "" {
		ann[oci.AnnotationRevision] = o.Revision
	}
	return oci.Build(ctx, oci.ImageSpec{
		Base:        base,
		Layers:      append(layers, l),
		Platform:    v1.Platform{OS: "linux", Architecture: arch},
		Entrypoint:  entry,
		Env:         []string{"PATH=" + DefaultPath},
		User:        im.User,
		Annotations: ann,
	}, epoch)
}

// DefaultPath is the PATH of every image built: static pods name their
// binaries without a directory (command: [kube-apiserver, ...]).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// baseOf returns the base image and the layers that go under the
// binaries. Without a base in the spec, dynamically linked binaries get
// Debian's libc6 and static ones nothing (scratch).
func baseOf(ctx context.Context, r *spec.Release, im spec.Image, bins []sources.Binary, arch string, o Options) (v1.Image, []v1.Layer, error) {
	b := im.Base
	if b == nil {
		for _, bin := range bins {
			if dynamic(bin.Path) {
				b = &spec.ImageBase{Debian: []string{"libc6"}}
				break
			}
		}
	}
	if b == nil {
		return nil, nil, nil
	}
	var base v1.Image
	if b.Image != "" {
		a, err := oci.Open(ctx, filepath.Dir(r.File()), b.Image, o.Fetcher.OCIOptions...)
		if err != nil {
			return nil, nil, fmt.Errorf("reading base: %w", err)
		}
		defer a.Close()
		if base, err = a.Platform(v1.Platform{OS: "linux", Architecture: arch}); err != nil {
			return nil, nil, fmt.Errorf("reading base: %w", err)
		}
		if base, err = cachedBase(o.Fetcher.CacheDir, base); err != nil {
			return nil, nil, fmt.Errorf("reading base %s: %w", b.Image, err)
		}
	}
	if len(b.Debian) == 0 {
		return base, nil, nil
	}
	l, err := debianBase(ctx, b.Debian, arch, o)
	if err != nil {
		return nil, nil, err
	}
	return base, []v1.Layer{l}, nil
}

// dynamic reports whether an ELF file asks for a program interpreter.
func dynamic(p string) bool {
	f, err := elf.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
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
	return oci.LayerFromDir(dir, oci.WithEpoch(o.Epoch), o.layerCache())
}

// PushOptions configure Push.
type PushOptions struct {
	// Insecure allows plain HTTP beyond loopback registries.
	Insecure bool
	// Progress shows the bytes pushed per image; nil shows nothing.
	Progress progress.Reporter
	// OCI are further options for oci.Push (credentials, retries).
	OCI []oci.Option
}

// Push pushes each index to REGISTRY/NAME:TAG, uploading only the blobs
// the registry lacks, and records the references in built[i].Pushed.
func Push(ctx context.Context, registry string, built []Built, o PushOptions) error {
	for i := range built {
		ref := registry + "/" + built[i].Name + ":" + built[i].Tag
		if err := PushTo(ctx, ref, &built[i], o); err != nil {
			return fmt.Errorf("pushing %s: %w", built[i].Name, err)
		}
	}
	return nil
}

// PushTo pushes one index to the full reference ref (HOST/REPO:TAG).
func PushTo(ctx context.Context, ref string, b *Built, o PushOptions) error {
	opts := slices.Clone(o.OCI)
	if o.Insecure {
		opts = append(opts, oci.WithInsecure())
	}
	rep := o.Progress
	if rep == nil {
		rep = progress.Discard()
	}
	res, err := pushOne(ctx, ref, b.Index, rep.Transfer("pushing "+b.Name), opts)
	if err != nil {
		return err
	}
	b.Pushed = res.References
	return nil
}

// pushOne pushes idx, feeding go-containerregistry's updates to t.
func pushOne(ctx context.Context, ref string, idx v1.ImageIndex, t progress.Transfer, opts []oci.Option) (oci.PushResult, error) {
	updates := make(chan v1.Update, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range updates {
			t.Set(u.Complete, u.Total)
		}
	}()
	res, err := oci.Push(ctx, ref, idx, append(opts, oci.WithProgress(updates))...)
	<-done
	t.Done()
	return res, err
}
