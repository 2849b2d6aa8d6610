package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"

	"github.com/slipway-dev/slipway/images"
	"github.com/slipway-dev/slipway/images/nodeos"
	"github.com/slipway-dev/slipway/internal/fileutil"
)

// osImageCacheVersion changes when what a cached OS image depends on does.
const osImageCacheVersion = "slipway-release-os-image-v1"

// cachedOSImage is a packed OS image kept in the cache beside its layout.
type cachedOSImage struct {
	Digest string `json:"digest"`
}

// buildOSImage writes the node OS root filesystem of arch as a one-layer
// OCI image (images.PackOS) into ARCH/os/NAME: the tree the slot
// filesystem is made from, for registries, `slipway images os unpack` and
// container-based inspection. Packing gzips the whole tree, so the layout
// is kept in the cache by the tree's content key and copied when the tree
// did not change.
func buildOSImage(arch string) func(context.Context, *build) ([]Artifact, error) {
	return func(ctx context.Context, b *build) ([]Artifact, error) {
		b.mu.Lock()
		p := b.parts[arch]
		b.mu.Unlock()
		name := nodeos.ImageName(b.r, arch)
		version := b.r.NodeOS().Version
		in := fmt.Sprintf("%s\n%s\n%d\n%s\n%s\n%s", osImageCacheVersion, filepath.Base(p.Rootfs), b.o.Epoch.Unix(), arch, version, name)
		h := sha256.Sum256([]byte(in))
		cdir := filepath.Join(b.o.CacheDir, "release-os-images", hex.EncodeToString(h[:16]))
		c, err := readCachedOSImage(cdir)
		if err != nil {
			if c, err = b.packOSImage(ctx, arch, name, version, p.Rootfs, cdir); err != nil {
				return nil, err
			}
		}
		dst := filepath.Join(b.dir, arch, "os")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return nil, err
		}
		if out, err := exec.CommandContext(ctx, "cp", "-R", "--reflink=auto", filepath.Join(cdir, name), dst).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copying the OS image: %v: %s", err, out)
		}
		return []Artifact{{Kind: KindOSImage, Name: name, Arch: arch, Path: path.Join(arch, "os", name), Ref: c.Digest,
			Inputs: map[string]string{"slot": p.Slot.Digest}}}, nil
	}
}

func readCachedOSImage(cdir string) (*cachedOSImage, error) {
	raw, err := os.ReadFile(filepath.Join(cdir, "image.json"))
	if err != nil {
		return nil, err
	}
	var c cachedOSImage
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// packOSImage packs root into an OCI layout at cdir/name, built beside
// cdir and renamed into place whole.
func (b *build) packOSImage(ctx context.Context, arch, name, version, root, cdir string) (*cachedOSImage, error) {
	if err := os.MkdirAll(filepath.Dir(cdir), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(cdir), "."+filepath.Base(cdir)+".tmp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// The packed layer goes into tmp: the layout keeps its own copy.
	idx, err := images.PackOS(ctx, images.OSImage{Root: root, Arch: arch, Version: version, Epoch: b.o.Epoch, CacheDir: filepath.Join(tmp, ".layer")})
	if err != nil {
		return nil, fmt.Errorf("packing the OS image: %w", err)
	}
	d, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	built := []images.Built{{Name: name, Tag: version, Digest: d.String(), Platforms: []string{"linux/" + arch}, Index: idx}}
	if err := images.Write(ctx, tmp, built, images.FormatLayout, b.o.Epoch); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(filepath.Join(tmp, ".layer")); err != nil {
		return nil, err
	}
	c := &cachedOSImage{Digest: d.String()}
	j, _ := json.Marshal(c)
	if err := fileutil.WriteAtomic(filepath.Join(tmp, "image.json"), j, 0o644); err != nil {
		return nil, err
	}
	os.RemoveAll(cdir)
	if err := os.Rename(tmp, cdir); err != nil {
		return nil, err
	}
	return c, nil
}
