package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
