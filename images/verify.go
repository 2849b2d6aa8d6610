package images

import (
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerReader reads a layer's tar stream from its compressed blob while
// hashing the blob, so Close can tell a corrupt or tampered layer from a
// good one, whatever the store (a layout on disk is read without checks).
type layerReader struct {
	io.Reader
	blob   io.ReadCloser
	hashed *hashingReader
	want   v1.Hash
}

type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// openLayer returns the uncompressed tar stream of l (gzip or plain).
func openLayer(l v1.Layer) (*layerReader, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return nil, err
	}
	blob, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	hr := &hashingReader{r: blob, h: sha256.New()}
	lr := &layerReader{Reader: hr, blob: blob, hashed: hr, want: d}
	switch mt {
	case types.OCILayer, types.DockerLayer, types.DockerForeignLayer, types.OCIRestrictedLayer:
		zr, err := gzip.NewReader(hr)
		if err != nil {
			blob.Close()
			return nil, fmt.Errorf("layer %s: %w", d, lr.corrupt(err))
		}
		lr.Reader = zr
	case types.OCIUncompressedLayer, types.OCIUncompressedRestrictedLayer:
	default:
		blob.Close()
		return nil, fmt.Errorf("layer %s: media type %s is not supported (gzip or uncompressed tar)", d, mt)
	}
	return lr, nil
}

// Close reads what is left of the blob and checks its digest.
func (l *layerReader) Close() error {
	defer l.blob.Close()
	if _, err := io.Copy(io.Discard, l.hashed); err != nil {
		return fmt.Errorf("layer %s: %w", l.want, err)
	}
	if got := fmt.Sprintf("%x", l.hashed.h.Sum(nil)); got != l.want.Hex {
		return fmt.Errorf("layer %s is corrupt: its %d bytes hash to sha256:%s", l.want, l.hashed.n, got)
	}
	return nil
}

// corrupt prefers the digest mismatch over the decompressor's complaint.
func (l *layerReader) corrupt(err error) error {
	if cerr := l.Close(); cerr != nil {
		return cerr
	}
	return err
}
