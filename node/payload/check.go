package payload

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var digestRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseMetadata reads a metadata document strictly: unknown fields, a
// schema version other than SchemaVersion, missing fields and malformed
// digests are errors wrapping ErrDigest.
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: reading metadata: %v", ErrDigest, err)
	}
	if m.SchemaVersion != SchemaVersion {
		return m, fmt.Errorf("%w: metadata schemaVersion %d, this slipway reads %d", ErrDigest, m.SchemaVersion, SchemaVersion)
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("%w: %v", ErrDigest, err)
	}
	return m, nil
}

// Validate reports the first missing or malformed field of m.
func (m *Metadata) Validate() error {
	for _, f := range []struct{ name, val string }{
		{"name", m.Name}, {"version", m.Version}, {"kubernetesVersion", m.KubernetesVersion},
		{"arch", m.Arch}, {"kernelVersion", m.KernelVersion},
	} {
		if f.val == "" {
			return fmt.Errorf("metadata: %s is empty", f.name)
		}
	}
	if SlotMediaType(m.SlotFilesystem) == "" {
		return fmt.Errorf("metadata: slotFilesystem %q: want squashfs or erofs", m.SlotFilesystem)
	}
	for _, which := range []string{BlobSlot, BlobKernel, BlobInitrd} {
		b, _ := m.Blob(which)
		if !digestRe.MatchString(b.Digest) || b.Size <= 0 {
			return fmt.Errorf("metadata: %s: digest %q, size %d: want sha256:<64 hex> and a positive size", which, b.Digest, b.Size)
		}
	}
	return nil
}

// checkManifest checks that the manifest is a payload whose config is the
// metadata bytes and whose layers are exactly the metadata's blobs, plus
// at most one signature, whose descriptor it returns (nil when unsigned).
func checkManifest(m *v1.Manifest, md *Metadata, mdBytes []byte) (*v1.Descriptor, error) {
	if m.ArtifactType != ArtifactType || string(m.Config.MediaType) != MediaMetadata {
		return nil, fmt.Errorf("%w: not a slipway payload (artifactType %q, config %q; want %s and %s)",
			ErrDigest, m.ArtifactType, m.Config.MediaType, ArtifactType, MediaMetadata)
	}
	sum := sha256.Sum256(mdBytes)
	if got := "sha256:" + hex.EncodeToString(sum[:]); m.Config.Digest.String() != got || m.Config.Size != int64(len(mdBytes)) {
		return nil, fmt.Errorf("%w: metadata is %s (%d bytes), the manifest says %s (%d bytes)", ErrDigest, got, len(mdBytes), m.Config.Digest, m.Config.Size)
	}
	want := map[string]Blob{SlotMediaType(md.SlotFilesystem): md.Slot, MediaKernel: md.Kernel, MediaInitrd: md.Initrd}
	var sig *v1.Descriptor
	seen := map[string]bool{}
	for i, l := range m.Layers {
		mt := string(l.MediaType)
		if seen[mt] {
			return nil, fmt.Errorf("%w: manifest has two %s layers", ErrDigest, mt)
		}
		seen[mt] = true
		if mt == MediaSignature {
			sig = &m.Layers[i]
			continue
		}
		b, ok := want[mt]
		if !ok {
			return nil, fmt.Errorf("%w: manifest layer %d has media type %q, not one of a payload's", ErrDigest, i, mt)
		}
		if l.Digest.String() != b.Digest || l.Size != b.Size {
			return nil, fmt.Errorf("%w: %s layer is %s (%d bytes), the metadata says %s (%d bytes)", ErrDigest, mt, l.Digest, l.Size, b.Digest, b.Size)
		}
	}
	for mt := range want {
		if !seen[mt] {
			return nil, fmt.Errorf("%w: manifest has no %s layer", ErrDigest, mt)
		}
	}
	return sig, nil
}
