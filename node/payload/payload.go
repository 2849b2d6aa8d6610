// Package payload reads and checks slipway OS update payloads on a node.
//
// A payload is one OCI artifact (an OCI image manifest v1.1 with
// artifactType ArtifactType) in a registry or an OCI image layout: its
// config is the metadata document (MediaMetadata), and its layers are the
// slot filesystem, the kernel, the initramfs and, when signed, a detached
// OpenPGP signature over the exact metadata bytes. Nothing relies on the
// registry's referrers API: the signature travels inside the artifact.
//
// The metadata is the source of truth: it names the digest and size of
// every blob, the signature covers it, and every byte read through
// Payload.Open is checked against it. images/payload builds payloads.
package payload

import (
	"errors"
	"fmt"
)

// Media types of a payload's manifest, config and layers.
const (
	// ArtifactType is the manifest's artifactType.
	ArtifactType = "application/vnd.slipway.payload.v1"
	// MediaMetadata is the config's media type: the metadata JSON.
	MediaMetadata = "application/vnd.slipway.payload.v1+json"
	// MediaSlot is a squashfs slot filesystem.
	MediaSlot = "application/vnd.slipway.slot.v1.squashfs"
	// MediaSlotErofs is an erofs slot filesystem.
	MediaSlotErofs = "application/vnd.slipway.slot.v1.erofs"
	// MediaKernel is the kernel image (vmlinuz).
	MediaKernel = "application/vnd.slipway.kernel.v1"
	// MediaInitrd is the initramfs.
	MediaInitrd = "application/vnd.slipway.initrd.v1"
	// MediaSignature is a detached OpenPGP signature (armored or binary)
	// over the metadata bytes.
	MediaSignature = "application/pgp-signature"
)

// SchemaVersion is the metadata schema this package reads and writes.
const SchemaVersion = 1

// Blob names: the which argument of Payload.Open.
const (
	BlobSlot   = "slot"
	BlobKernel = "kernel"
	BlobInitrd = "initrd"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrDigest: a blob's bytes, or the manifest's descriptors, do not
	// agree with the metadata (or the artifact is not a payload at all).
	ErrDigest = errors.New("payload does not match its metadata")
	// ErrArch: the payload is for another architecture.
	ErrArch = errors.New("payload is for another architecture")
	// ErrUnsigned: a signature was required and the payload has none.
	ErrUnsigned = errors.New("payload is not signed")
	// ErrSignature: the payload's signature does not verify with the keys.
	ErrSignature = errors.New("payload signature does not verify")
)

// Blob is a blob's sha256 digest ("sha256:<hex>") and size in bytes.
type Blob struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Metadata is the payload's metadata document (schema version 1).
type Metadata struct {
	// SchemaVersion is SchemaVersion.
	SchemaVersion int `json:"schemaVersion"`
	// Name is the release's metadata.name.
	Name string `json:"name"`
	// Version is the OS version (spec.os.version).
	Version string `json:"version"`
	// KubernetesVersion is the release's Kubernetes version.
	KubernetesVersion string `json:"kubernetesVersion"`
	// Arch is the Debian/Go architecture, e.g. amd64.
	Arch string `json:"arch"`
	// KernelVersion is the kernel release (its modules directory name).
	KernelVersion string `json:"kernelVersion"`
	// SlotFilesystem is squashfs or erofs.
	SlotFilesystem string `json:"slotFilesystem"`
	// Cmdline is the kernel command line of the release's boot entries
	// (spec.os.disk.cmdline) without slipway.slot=; empty keeps the
	// node's.
	Cmdline string `json:"cmdline,omitempty"`
	// Slot, Kernel and Initrd are the blobs.
	Slot   Blob `json:"slot"`
	Kernel Blob `json:"kernel"`
	Initrd Blob `json:"initrd"`
}

// SlotMediaType is the slot layer's media type for a slot filesystem
// type: MediaSlot for squashfs, MediaSlotErofs for erofs, "" otherwise.
func SlotMediaType(fs string) string {
	switch fs {
	case "squashfs":
		return MediaSlot
	case "erofs":
		return MediaSlotErofs
	}
	return ""
}

// Blob returns the metadata's blob named which (BlobSlot, BlobKernel or
// BlobInitrd).
func (m *Metadata) Blob(which string) (Blob, error) {
	switch which {
	case BlobSlot:
		return m.Slot, nil
	case BlobKernel:
		return m.Kernel, nil
	case BlobInitrd:
		return m.Initrd, nil
	}
	return Blob{}, fmt.Errorf("payload has no blob %q (want slot, kernel or initrd)", which)
}
