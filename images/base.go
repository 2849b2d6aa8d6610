package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// cachedBase copies a base image into the OCI layout cacheDir/base-images
// (once per digest) and returns it read from there: later builds do not
// pull it again, and the image outlives the archive or connection it came
// from.
func cachedBase(cacheDir string, img v1.Image) (v1.Image, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cacheDir, "base-images")
	p, err := layout.FromPath(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, err
		}
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return nil, fmt.Errorf("creating base image cache: %w", err)
		}
	}
	if cached, err := p.Image(d); err == nil {
		return cached, nil
	}
	if err := p.AppendImage(img); err != nil {
		return nil, fmt.Errorf("caching base image: %w", err)
	}
	return p.Image(d)
}

// ReadLayouts reads the OCI layouts Write left in dir (FormatLayout): one
// Built per subdirectory, named after it and tagged with the ref name of
// its only index.
func ReadLayouts(dir string) ([]Built, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading layouts: %w", err)
	}
	var out []Built
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := readLayout(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading layout %s: %w", e.Name(), err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading layouts: %s holds no OCI layout (write them with images build -o %s)", dir, dir)
	}
	return out, nil
}

func readLayout(dir string) (Built, error) {
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return Built{}, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return Built{}, err
	}
	if len(im.Manifests) != 1 || !im.Manifests[0].MediaType.IsIndex() {
		return Built{}, fmt.Errorf("want exactly one image index in index.json, found %d manifests", len(im.Manifests))
	}
	d := im.Manifests[0]
	tag := d.Annotations["org.opencontainers.image.ref.name"]
	if tag == "" {
		return Built{}, errors.New("the index has no org.opencontainers.image.ref.name to tag it with")
	}
	idx, err := ii.ImageIndex(d.Digest)
	if err != nil {
		return Built{}, err
	}
	b := Built{Name: filepath.Base(dir), Tag: tag, Digest: d.Digest.String(), Index: idx}
	children, err := idx.IndexManifest()
	if err != nil {
		return Built{}, err
	}
	for _, c := range children.Manifests {
		if c.Platform != nil {
			b.Platforms = append(b.Platforms, c.Platform.String())
		}
	}
	return b, nil
}
