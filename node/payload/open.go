package payload

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// Payload is a payload opened by Open: its manifest, metadata and
// signature are read; the slot, kernel and initrd are read when Open (the
// method) or VerifyBlobs asks for them.
type Payload struct {
	// Metadata is the parsed metadata; MetadataBytes the exact bytes the
	// signature covers.
	Metadata      Metadata
	MetadataBytes []byte
	// Signature is the detached OpenPGP signature, nil when unsigned.
	Signature []byte
	// Ref is the reference Open was given.
	Ref string
	// Digest is the manifest's digest ("sha256:<hex>").
	Digest string
	// Manifest is the artifact's manifest.
	Manifest *v1.Manifest
	// Local is true for an OCI layout, false for a registry.
	Local bool

	img v1.Image
}

// Open reads a payload's manifest, metadata and signature, not its big
// blobs, from ref: an OCI layout directory (DIR, or DIR:TAG for the
// manifest whose org.opencontainers.image.ref.name annotation is TAG; a
// DIR with exactly one manifest needs no tag) or else a registry
// reference (HOST/REPO:TAG or HOST/REPO@sha256:...). Registries on
// loopback are reached over plain HTTP, others over TLS unless
// WithInsecure. The manifest must agree with the metadata (artifactType,
// digest and size of the slot, kernel and initrd), else ErrDigest.
func Open(ctx context.Context, ref string, opts ...Option) (*Payload, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	p := &Payload{Ref: ref}
	if dir, tag, ok := layoutRef(ref); ok {
		p.Local = true
		p.img, err = openLayout(dir, tag)
	} else {
		p.img, err = openRemote(ctx, ref, o)
	}
	if err != nil {
		return nil, fmt.Errorf("opening payload %s: %w", ref, err)
	}
	if err := p.read(); err != nil {
		return nil, fmt.Errorf("reading payload %s: %w", ref, err)
	}
	return p, nil
}

// layoutRef splits ref into an existing directory and a tag.
func layoutRef(ref string) (dir, tag string, ok bool) {
	if isDir(ref) {
		return ref, "", true
	}
	if i := strings.LastIndexByte(ref, ':'); i > 0 && isDir(ref[:i]) {
		return ref[:i], ref[i+1:], true
	}
	return "", "", false
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// openLayout picks the manifest named tag, or the only one, of a layout.
func openLayout(dir, tag string) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%s is not an OCI image layout: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var pick []v1.Descriptor
	for _, d := range im.Manifests {
		if tag == "" || d.Annotations["org.opencontainers.image.ref.name"] == tag {
			pick = append(pick, d)
		}
	}
	if len(pick) != 1 {
		return nil, fmt.Errorf("layout %s has %d manifests named %q, want exactly one", dir, len(pick), tag)
	}
	if !pick[0].MediaType.IsImage() {
		return nil, fmt.Errorf("%w: layout %s holds a %s, not an artifact manifest", ErrDigest, dir, pick[0].MediaType)
	}
	img, err := idx.Image(pick[0].Digest)
	if err != nil {
		return nil, err
	}
	// A layout's manifest is a file like any other: check it is the one
	// index.json names.
	if dg, err := img.Digest(); err != nil || dg != pick[0].Digest {
		return nil, fmt.Errorf("%w: layout %s: manifest %s hashes to %v (%v)", ErrDigest, dir, pick[0].Digest, dg, err)
	}
	return img, nil
}

// read reads the manifest, metadata and signature and checks them.
func (p *Payload) read() error {
	m, err := p.img.Manifest()
	if err != nil {
		return fmt.Errorf("reading manifest: %w", err)
	}
	dg, err := p.img.Digest()
	if err != nil {
		return err
	}
	p.Manifest, p.Digest = m, dg.String()
	if p.MetadataBytes, err = p.img.RawConfigFile(); err != nil {
		return fmt.Errorf("reading metadata: %w", err)
	}
	if p.Metadata, err = ParseMetadata(p.MetadataBytes); err != nil {
		return err
	}
	sig, err := checkManifest(m, &p.Metadata, p.MetadataBytes)
	if err != nil || sig == nil {
		return err
	}
	p.Signature, err = p.readSmall(sig)
	return err
}

// maxSignature bounds the signature layer read into memory.
const maxSignature = 64 << 10

// readSmall reads a small layer, checking its digest.
func (p *Payload) readSmall(d *v1.Descriptor) ([]byte, error) {
	if d.Size > maxSignature {
		return nil, fmt.Errorf("%w: signature layer is %d bytes, more than %d", ErrDigest, d.Size, maxSignature)
	}
	rc, err := p.blob(Blob{Digest: d.Digest.String(), Size: d.Size}, "signature")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Close releases the payload. It is unusable after.
func (p *Payload) Close() error {
	p.img = nil
	return nil
}

// Image returns the artifact as a go-containerregistry image (manifest,
// metadata as config, blobs as layers), to copy it elsewhere.
func (p *Payload) Image() v1.Image { return p.img }
