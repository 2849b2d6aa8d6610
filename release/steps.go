package release

import (
	"context"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/slipway-dev/slipway/images"
	"github.com/slipway-dev/slipway/images/nodeos"
	"github.com/slipway-dev/slipway/images/payload"
	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/sources"
	"github.com/slipway-dev/slipway/spec"
)

// Options are what building a release needs besides the spec.
type Options struct {
	// CacheDir is the content-addressed cache shared with every other
	// command.
	CacheDir string
	// Epoch stamps every artifact (SOURCE_DATE_EPOCH).
	Epoch time.Time
	// NodeAgent finds slipway-node-linux-ARCH for the slipway-node package.
	NodeAgent packages.NodeAgentFunc
	// Revision is the spec's git commit, for image labels.
	Revision string
	// Workers is how many steps run at once; 0 is 2.
	Workers int
	// Progress shows the steps; nil shows nothing.
	Progress progress.Reporter
	// Log receives mmdebstrap's output; nil discards it.
	Log io.Writer
}

// build is one release being built into dir (the staging directory).
type build struct {
	r   *spec.Release
	o   Options
	dir string

	mu    sync.Mutex
	debs  map[string][]string      // arch -> the release's .deb files, from the packages step
	parts map[string]*nodeos.Parts // arch -> the node OS, from the os step
}

func (b *build) nodeOS() nodeos.Options {
	return nodeos.Options{CacheDir: b.o.CacheDir, Epoch: b.o.Epoch, Log: b.o.Log, Progress: b.o.Progress,
		Debs: func(_ context.Context, arch string) ([]string, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.debs[arch], nil
		}}
}

// buildPackages publishes the packages into repo/ and keeps each
// architecture's debs for the node OS.
func buildPackages(ctx context.Context, b *build) ([]Artifact, error) {
	opts := []packages.Option{
		packages.WithCacheDir(b.o.CacheDir), packages.WithSourceDateEpoch(b.o.Epoch),
		packages.WithProgress(b.o.Progress),
	}
	if b.o.NodeAgent != nil {
		opts = append(opts, packages.WithNodeAgent(b.o.NodeAgent))
	}
	root := filepath.Join(b.dir, "repo")
	arts, repos, err := packages.Publish(ctx, b.r, root, opts...)
	if err != nil {
		return nil, err
	}
	var out []Artifact
	debs := map[string][]string{}
	for _, r := range repos {
		rel, _ := filepath.Rel(b.dir, r.Dir)
		out = append(out, Artifact{Kind: KindRepository, Name: r.Format, Path: filepath.ToSlash(rel)})
		for _, a := range arts {
			if a.Format != r.Format {
				continue
			}
			out = append(out, Artifact{Kind: KindPackage, Name: a.Package, Arch: a.Arch, Path: path.Join(filepath.ToSlash(rel), a.File),
				Inputs: map[string]string{"content": "sha256:" + a.ContentSHA256}})
			if a.Format == spec.FormatDeb {
				debs[a.Arch] = append(debs[a.Arch], filepath.Join(r.Dir, a.File))
			}
		}
	}
	b.mu.Lock()
	b.debs = debs
	b.mu.Unlock()
	return out, nil
}

// buildImages writes the container images as OCI layouts into images/.
func buildImages(ctx context.Context, b *build) ([]Artifact, error) {
	built, err := images.Build(ctx, b.r, images.Options{
		Epoch: b.o.Epoch, Fetcher: &sources.Fetcher{CacheDir: b.o.CacheDir}, Debs: images.AptDownload(b.o.CacheDir),
		Revision: b.o.Revision, Progress: b.o.Progress,
	})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(b.dir, "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := images.Write(ctx, dir, built, images.FormatLayout, b.o.Epoch); err != nil {
		return nil, err
	}
	var out []Artifact
	for _, i := range built {
		out = append(out, Artifact{Kind: KindImage, Name: i.Name + ":" + i.Tag, Path: "images/" + i.Name, Ref: i.Digest})
	}
	return out, nil
}

// buildOS builds the node OS pieces into the cache, once, before the disk
// image and the payload use them in parallel.
func buildOS(arch string) func(context.Context, *build) ([]Artifact, error) {
	return func(ctx context.Context, b *build) ([]Artifact, error) {
		p, err := nodeos.BuildParts(ctx, b.r, arch, b.nodeOS())
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.parts == nil {
			b.parts = map[string]*nodeos.Parts{}
		}
		b.parts[arch] = p
		return nil, nil
	}
}

// buildSBOM writes the SPDX document of the OS image of arch.
func buildSBOM(arch string) func(context.Context, *build) ([]Artifact, error) {
	return func(ctx context.Context, b *build) ([]Artifact, error) {
		b.mu.Lock()
		p := b.parts[arch]
		b.mu.Unlock()
		doc, err := SBOM(b.r, arch, p.Rootfs, p.Slot.Digest, b.o.Epoch)
		if err != nil {
			return nil, err
		}
		name := nodeos.ImageName(b.r, arch) + ".spdx.json"
		dir := filepath.Join(b.dir, arch, "sbom")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
			return nil, err
		}
		return []Artifact{{Kind: KindSBOM, Name: name, Arch: arch, Path: path.Join(arch, "sbom", name),
			Inputs: map[string]string{"slot": p.Slot.Digest}}}, nil
	}
}

func buildPayload(arch string) func(context.Context, *build) ([]Artifact, error) {
	return func(ctx context.Context, b *build) ([]Artifact, error) {
		name := nodeos.ImageName(b.r, arch)
		dir := filepath.Join(b.dir, arch, "payload") // BuildRelease writes dir/NAME
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		res, err := payload.BuildRelease(ctx, b.r, arch, dir, b.nodeOS())
		if err != nil {
			return nil, err
		}
		m := res.Metadata
		return []Artifact{{Kind: KindPayload, Name: name, Arch: arch, Path: path.Join(arch, "payload", name), Ref: res.Digest,
			Inputs: map[string]string{"slot": m.Slot.Digest, "kernel": m.Kernel.Digest, "initrd": m.Initrd.Digest}}}, nil
	}
}
