package oci

import (
	"bytes"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// memLayer is a layer whose tar and gzip bytes are held in memory.
type memLayer struct {
	raw, gz        []byte
	diffID, digest v1.Hash
}

var _ v1.Layer = (*memLayer)(nil)

// newLayer compresses a tar stream and hashes both forms.
func newLayer(raw []byte) (*memLayer, error) {
	gz, err := gzipBytes(raw)
	if err != nil {
		return nil, err
	}
	diffID, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	digest, _, err := v1.SHA256(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return &memLayer{raw: raw, gz: gz, diffID: diffID, digest: digest}, nil
}

// Digest returns the sha256 of the compressed layer.
func (l *memLayer) Digest() (v1.Hash, error) { return l.digest, nil }

// DiffID returns the sha256 of the uncompressed tar.
func (l *memLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Compressed returns the gzip stream.
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.gz)), nil
}

// Uncompressed returns the tar stream.
func (l *memLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.raw)), nil
}

// Size returns the compressed size.
func (l *memLayer) Size() (int64, error) { return int64(len(l.gz)), nil }

// MediaType returns the OCI gzip layer media type.
func (l *memLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
