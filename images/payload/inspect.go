package payload

import (
	"context"
	"fmt"

	npayload "github.com/slipway-dev/slipway/node/payload"
)

// Info is what Inspect reports of a payload.
type Info struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	// Local is true for an OCI layout, false for a registry.
	Local    bool              `json:"local"`
	Metadata npayload.Metadata `json:"metadata"`
	// Blobs are the manifest's layers in order.
	Blobs []BlobInfo `json:"blobs"`
	// Signed is true when the payload carries a signature; Verified when
	// Inspect checked it with WithKeyring's keys.
	Signed   bool `json:"signed"`
	Verified bool `json:"verified"`
}

// BlobInfo is one layer of a payload.
type BlobInfo struct {
	// Name is slot, kernel, initrd or signature.
	Name      string `json:"name"`
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// Inspect reads a payload's manifest, metadata and signature (not its big
// blobs) from an OCI layout or a registry, as npayload.Open does, and
// with WithKeyring verifies the signature (an unsigned payload is then an
// error wrapping npayload.ErrUnsigned). Options: WithInsecure,
// WithKeyring.
func Inspect(ctx context.Context, ref string, opts ...Option) (*Info, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	p, err := npayload.Open(ctx, ref, o.nodeOptions()...)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	info := &Info{Ref: ref, Digest: p.Digest, Local: p.Local, Metadata: p.Metadata, Signed: p.Signature != nil}
	if o.keyring != nil {
		if err := p.VerifySignature(o.keyring); err != nil {
			return nil, fmt.Errorf("verifying payload %s: %w", ref, err)
		}
		info.Verified = true
	}
	names := map[string]string{
		npayload.MediaSlot: "slot", npayload.MediaSlotErofs: "slot", npayload.MediaKernel: "kernel",
		npayload.MediaInitrd: "initrd", npayload.MediaSignature: "signature",
	}
	for _, l := range p.Manifest.Layers {
		info.Blobs = append(info.Blobs, BlobInfo{Name: names[string(l.MediaType)], MediaType: string(l.MediaType), Digest: l.Digest.String(), Size: l.Size})
	}
	return info, nil
}
