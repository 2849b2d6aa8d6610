package payload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Open streams the blob named which (BlobSlot, BlobKernel or BlobInitrd);
// reads fail once ctx is done. The reader checks the bytes against the metadata: reading past the
// size, or a digest that differs at EOF, returns an error wrapping
// ErrDigest instead of io.EOF, so a caller that copies to the end has
// verified what it wrote.
func (p *Payload) Open(ctx context.Context, which string) (io.ReadCloser, error) {
	b, err := p.Metadata.Blob(which)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := p.blob(b, which)
	if err != nil {
		return nil, err
	}
	return readCloser{ctxReader{ctx, rc}, rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// VerifyBlobs reads the slot, kernel and initrd to the end and checks
// each against the metadata (an error wrapping ErrDigest names the blob).
// It is cheap for a layout; from a registry it downloads them.
func (p *Payload) VerifyBlobs(ctx context.Context) error {
	for _, which := range []string{BlobSlot, BlobKernel, BlobInitrd} {
		if err := p.verifyBlob(ctx, which); err != nil {
			return err
		}
	}
	return nil
}

func (p *Payload) verifyBlob(ctx context.Context, which string) error {
	rc, err := p.Open(ctx, which)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("verifying %s: %w", which, err)
	}
	return nil
}

// ctxReader stops a long read when ctx is done (a registry's blob is
// otherwise bound to the context Open was given).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// blob opens the blob b of the artifact, wrapped in a digestReader.
func (p *Payload) blob(b Blob, name string) (io.ReadCloser, error) {
	if p.img == nil {
		return nil, errors.New("payload is closed")
	}
	h, err := v1.NewHash(b.Digest)
	if err != nil {
		return nil, fmt.Errorf("%w: %s digest %q: %v", ErrDigest, name, b.Digest, err)
	}
	l, err := p.img.LayerByDigest(h)
	if err != nil {
		return nil, fmt.Errorf("finding %s blob %s: %w", name, b.Digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("opening %s blob %s: %w", name, b.Digest, err)
	}
	return &digestReader{rc: rc, name: name, want: b, h: sha256.New()}, nil
}

// digestReader hashes what it reads and, at the end, compares size and
// digest with want.
type digestReader struct {
	rc   io.ReadCloser
	name string
	want Blob
	h    hash.Hash
	n    int64
}

func (d *digestReader) Read(b []byte) (int, error) {
	if max := d.want.Size - d.n + 1; int64(len(b)) > max {
		b = b[:max] // one byte past the size is enough to see it is too long
	}
	n, err := d.rc.Read(b)
	d.h.Write(b[:n])
	d.n += int64(n)
	switch {
	case d.n > d.want.Size:
		return n, fmt.Errorf("%w: %s is longer than its %d bytes", ErrDigest, d.name, d.want.Size)
	case err == io.EOF:
		return n, d.check(err)
	case err != nil && d.n == d.want.Size:
		// A registry client that verifies digests itself reports a
		// mismatch as its own error at the end: say which it is.
		return n, d.check(err)
	}
	return n, err
}

// check returns end when the bytes read are the blob, else ErrDigest.
func (d *digestReader) check(end error) error {
	got := "sha256:" + hex.EncodeToString(d.h.Sum(nil))
	if d.n != d.want.Size || got != d.want.Digest {
		return fmt.Errorf("%w: %s is %s (%d bytes), the metadata says %s (%d bytes)", ErrDigest, d.name, got, d.n, d.want.Digest, d.want.Size)
	}
	return end
}

func (d *digestReader) Close() error { return d.rc.Close() }
