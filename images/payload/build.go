// Package payload builds slipway OS update payloads: one OCI artifact
// holding a release's slot filesystem, kernel and initramfs, described by
// a metadata document that a detached OpenPGP signature covers (see
// node/payload for the format and the node side). It writes them as OCI
// image layouts, pushes them to registries and describes them.
package payload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	npayload "github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/signing"
)

// Input is what Build makes a payload of.
type Input struct {
	// Slot, Kernel and Initrd are the files: the slot filesystem image,
	// the kernel image and the initramfs.
	Slot, Kernel, Initrd string
	// SlotDigest is the slot file's sha256 ("sha256:<hex>") when the
	// caller knows it (nodeos.BuildParts does); Build then does not read
	// the slot to hash it. Empty: Build hashes it.
	SlotDigest string
	// Metadata gives every field but the blobs and SchemaVersion, which
	// Build fills in.
	Metadata npayload.Metadata
	// Signer, when set, signs the metadata (armored detached signature,
	// stamped at Epoch).
	Signer *signing.Signer
	// Epoch is the time stamped on the manifest (org.opencontainers.
	// image.created) and the signature: SOURCE_DATE_EPOCH.
	Epoch time.Time
}

// Result describes a payload that Build wrote.
type Result struct {
	// Dir is the OCI layout.
	Dir string `json:"dir"`
	// Digest is the artifact manifest's digest.
	Digest string `json:"digest"`
	// Tag is the layout's ref name for the manifest: the OS version.
	Tag string `json:"tag"`
	// Metadata is the metadata document written.
	Metadata npayload.Metadata `json:"metadata"`
	// Signed is true when the payload carries a signature.
	Signed bool `json:"signed"`
	// Size is the sum of the blobs' sizes.
	Size int64 `json:"size"`
}

// Build writes a payload as an OCI image layout at dir, which must not
// exist: one artifact manifest (OCI image manifest v1.1, artifactType
// npayload.ArtifactType) whose config is the metadata JSON and whose
// layers are the slot, kernel, initrd and, with a signer, the signature;
// index.json names it with the OS version (org.opencontainers.image.
// ref.name). The big blobs are hard links to the input files when they
// share a filesystem, else copies. The layout is assembled beside dir
// and renamed into place. The same inputs give the same manifest digest;
// signed, only when signing is deterministic too (slipway's signer is,
// with RSA and EdDSA keys, at a fixed epoch).
func Build(ctx context.Context, in Input, dir string) (*Result, error) {
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("writing payload %s: %w", dir, os.ErrExist)
	}
	if in.Epoch.IsZero() {
		return nil, errors.New("building payload: epoch is required")
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("writing payload: %w", err)
	}
	defer os.RemoveAll(tmp)
	res, err := build(ctx, in, &layoutWriter{dir: tmp})
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("renaming payload into place: %w", err)
	}
	res.Dir = dir
	return res, nil
}

// build writes the blobs, the metadata, the signature and the manifest.
func build(ctx context.Context, in Input, w *layoutWriter) (*Result, error) {
	md := in.Metadata
	md.SchemaVersion = npayload.SchemaVersion
	files := []struct {
		path, digest string
		dst          *npayload.Blob
	}{{in.Slot, in.SlotDigest, &md.Slot}, {in.Kernel, "", &md.Kernel}, {in.Initrd, "", &md.Initrd}}
	for _, f := range files {
		b, err := w.linkBlob(ctx, f.path, f.digest)
		if err != nil {
			return nil, err
		}
		*f.dst = b
	}
	if err := md.Validate(); err != nil {
		return nil, fmt.Errorf("building payload: %w", err)
	}
	mdBytes, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	mdBytes = append(mdBytes, '\n')
	layers, sig, err := signedLayers(in, md, mdBytes, w)
	if err != nil {
		return nil, err
	}
	config, err := w.writeBlob(mdBytes)
	if err != nil {
		return nil, err
	}
	digest, err := w.writeManifest(manifest(config, layers, md, in.Epoch), md.Version)
	if err != nil {
		return nil, err
	}
	return &Result{Digest: digest, Tag: md.Version, Metadata: md, Signed: sig, Size: md.Slot.Size + md.Kernel.Size + md.Initrd.Size}, nil
}

// signedLayers returns the manifest's layers, with the signature (written
// to the layout) when in has a signer.
func signedLayers(in Input, md npayload.Metadata, mdBytes []byte, w *layoutWriter) ([]v1.Descriptor, bool, error) {
	layers := []v1.Descriptor{
		layer(npayload.SlotMediaType(md.SlotFilesystem), md.Slot, "slot."+md.SlotFilesystem),
		layer(npayload.MediaKernel, md.Kernel, "vmlinuz"),
		layer(npayload.MediaInitrd, md.Initrd, "initrd"),
	}
	if in.Signer == nil {
		return layers, false, nil
	}
	sig, err := in.Signer.At(in.Epoch).DetachSignArmored(bytes.NewReader(mdBytes))
	if err != nil {
		return nil, false, fmt.Errorf("signing payload metadata: %w", err)
	}
	b, err := w.writeBlob(sig)
	if err != nil {
		return nil, false, err
	}
	return append(layers, layer(npayload.MediaSignature, b, "metadata.json.asc")), true, nil
}
