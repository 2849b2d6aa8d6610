package payload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slipway-dev/slipway/internal/fileutil"
	npayload "github.com/slipway-dev/slipway/node/payload"
)

const (
	annotationRefName = "org.opencontainers.image.ref.name"
	annotationCreated = "org.opencontainers.image.created"
	annotationVersion = "org.opencontainers.image.version"
	annotationTitle   = "org.opencontainers.image.title"
)

// layoutWriter writes blobs, a manifest and index.json into an OCI image
// layout directory.
type layoutWriter struct{ dir string }

func (w *layoutWriter) blobPath(digest string) string {
	return filepath.Join(w.dir, "blobs", "sha256", digest[len("sha256:"):])
}

// linkBlob puts the file at src into the layout, hard-linked when it can
// be (same filesystem, readable by all), else copied, and returns its digest (digest when given, else its sha256) and size.
func (w *layoutWriter) linkBlob(ctx context.Context, src, digest string) (npayload.Blob, error) {
	if err := ctx.Err(); err != nil {
		return npayload.Blob{}, err
	}
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return npayload.Blob{}, fmt.Errorf("reading payload blob: %w", err)
	}
	st, err := os.Stat(real)
	if err != nil || !st.Mode().IsRegular() {
		return npayload.Blob{}, fmt.Errorf("reading payload blob %s: not a regular file (%v)", src, err)
	}
	if digest != "" {
		if _, err := v1.NewHash(digest); err != nil {
			return npayload.Blob{}, fmt.Errorf("payload blob %s: digest %q: %w", src, digest, err)
		}
	} else {
		sum, err := fileutil.SHA256(real)
		if err != nil {
			return npayload.Blob{}, err
		}
		digest = "sha256:" + sum
	}
	b := npayload.Blob{Digest: digest, Size: st.Size()}
	dst := w.blobPath(digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return b, err
	}
	if _, err := os.Stat(dst); err == nil {
		return b, nil
	}
	// A file others cannot read (the cached initramfs is 0600) is copied:
	// a hard link would share its mode, and layout blobs are 0644.
	if st.Mode().Perm()&0o044 == 0o044 && os.Link(real, dst) == nil {
		return b, nil
	}
	return b, copyFile(real, dst)
}

// copyFile copies src to dst (copy_file_range through io.Copy).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s into the payload: %w", src, err)
	}
	return out.Close()
}

// writeBlob writes b into the layout.
func (w *layoutWriter) writeBlob(b []byte) (npayload.Blob, error) {
	sum := sha256.Sum256(b)
	blob := npayload.Blob{Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(b))}
	p := w.blobPath(blob.Digest)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return blob, err
	}
	return blob, os.WriteFile(p, b, 0o644)
}

// writeManifest writes m, then index.json naming it tag, and oci-layout.
func (w *layoutWriter) writeManifest(m *v1.Manifest, tag string) (string, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	b, err := w.writeBlob(raw)
	if err != nil {
		return "", err
	}
	desc := layer(string(m.MediaType), b, "")
	desc.Annotations = map[string]string{annotationRefName: tag}
	desc.ArtifactType = m.ArtifactType
	idx, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{desc}})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(w.dir, "index.json"), idx, 0o644); err != nil {
		return "", err
	}
	return b.Digest, os.WriteFile(filepath.Join(w.dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// manifest is the payload's artifact manifest.
func manifest(config npayload.Blob, layers []v1.Descriptor, md npayload.Metadata, epoch time.Time) *v1.Manifest {
	cfg := layer(npayload.MediaMetadata, config, "")
	return &v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: npayload.ArtifactType,
		Config: cfg, Layers: layers,
		Annotations: map[string]string{
			annotationCreated: epoch.UTC().Format(time.RFC3339),
			annotationVersion: md.Version,
		},
	}
}

// layer is a descriptor of b with a title annotation when title is set.
func layer(mediaType string, b npayload.Blob, title string) v1.Descriptor {
	h, _ := v1.NewHash(b.Digest) // digests are made here: always valid
	d := v1.Descriptor{MediaType: types.MediaType(mediaType), Size: b.Size, Digest: h}
	if title != "" {
		d.Annotations = map[string]string{annotationTitle: title}
	}
	return d
}
