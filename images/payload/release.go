package payload

import (
	"context"
	"path/filepath"

	"github.com/slipway-dev/slipway/images/nodeos"
	npayload "github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/signing"
	"github.com/slipway-dev/slipway/spec"
)

// BuildRelease builds the release's node OS for arch (reusing the cache
// as nodeos.BuildDisk does, so the slot is the disk image's, byte for
// byte) and writes its payload as the OCI layout dir/NAME-VERSION-ARCH,
// signed with spec.signing's key when the release names one, stamped
// with o.Epoch.
func BuildRelease(ctx context.Context, r *spec.Release, arch, dir string, o nodeos.Options) (*Result, error) {
	var signer *signing.Signer
	if r.Spec.Signing != nil {
		var err error
		if signer, err = packages.LoadSigner(r); err != nil {
			return nil, err
		}
	}
	parts, err := nodeos.BuildParts(ctx, r, arch, o)
	if err != nil {
		return nil, err
	}
	nos := r.NodeOS()
	return Build(ctx, Input{
		Slot: parts.Slot.Path, SlotDigest: parts.Slot.Digest, Kernel: parts.Kernel.Path, Initrd: parts.Initrd,
		Metadata: npayload.Metadata{
			Name: r.Metadata.Name, Version: nos.Version, KubernetesVersion: r.Spec.KubernetesVersion, Arch: arch,
			KernelVersion: parts.Kernel.Version, SlotFilesystem: parts.Slot.FS, Cmdline: nos.Disk.Cmdline,
		},
		Signer: signer, Epoch: o.Epoch,
	}, filepath.Join(dir, nodeos.ImageName(r, arch)))
}
