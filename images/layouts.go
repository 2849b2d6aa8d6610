package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/slipway-dev/slipway/images/oci"
)

// Output formats of Write.
const (
	// FormatLayout writes an OCI image layout directory DIR/NAME.
	FormatLayout = "layout"
	// FormatArchive writes an OCI layout archive DIR/NAME.tar.
	FormatArchive = "archive"
)

// Write writes each index in format into dir, its tag as the ref name;
// archive entries are stamped with epoch (SOURCE_DATE_EPOCH).
func Write(ctx context.Context, dir string, built []Built, format string, epoch time.Time) error {
	for _, b := range built {
		var err error
		if format == FormatArchive {
			err = oci.WriteArchive(ctx, filepath.Join(dir, b.Name+".tar"), b.Index, oci.WithRefName(b.Tag), oci.WithEpoch(epoch))
		} else {
			err = oci.WriteLayout(ctx, filepath.Join(dir, b.Name), b.Index, oci.WithRefName(b.Tag))
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", b.Name, err)
		}
	}
	return nil
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
