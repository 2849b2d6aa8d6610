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

	"github.com/slipway-dev/slipway/images/nodeos"
	"github.com/slipway-dev/slipway/internal/fileutil"
)

// diskCacheVersion changes when what a cached disk image depends on does.
const diskCacheVersion = "slipway-release-disk-v1"

// cachedDisk is a release's disk images kept in the cache with their
// digests, so an unchanged release copies them (holes stay holes) instead
// of building and hashing gigabytes of sparse file again.
type cachedDisk struct {
	Files   []string          `json:"files"`
	Digests map[string]string `json:"digests"`
	Sizes   map[string]int64  `json:"sizes"`
	Slot    string            `json:"slot"`
}

// diskKey is everything a disk image is made from: the Release document
// (names, versions, layout, command line, seeds of the GUIDs), the epoch,
// the architecture, and the node OS pieces, which the cache names by
// their content (the tree's key, the slot's digest, the initramfs's key).
func (b *build) diskKey(arch string, p *nodeos.Parts) (string, error) {
	spec, _, err := fileDigest(b.r.File())
	if err != nil {
		return "", err
	}
	in := fmt.Sprintf("%s\n%s\n%d\n%s\n%s\n%s\n%s", diskCacheVersion, spec, b.o.Epoch.Unix(), arch,
		filepath.Base(p.Rootfs), p.Slot.Digest, filepath.Base(p.Initrd))
	h := sha256.Sum256([]byte(in))
	return hex.EncodeToString(h[:16]), nil
}

// disksFromCache copies the cached disk images of key into dir; ok is
// false when the cache has none.
func (b *build) disksFromCache(key, dir string) (*cachedDisk, bool) {
	cdir := filepath.Join(b.o.CacheDir, "release-disks", key)
	raw, err := os.ReadFile(filepath.Join(cdir, "disks.json"))
	if err != nil {
		return nil, false
	}
	var c cachedDisk
	if json.Unmarshal(raw, &c) != nil {
		return nil, false
	}
	for _, f := range c.Files {
		if err := copySparse(filepath.Join(cdir, f), filepath.Join(dir, f)); err != nil {
			return nil, false
		}
	}
	return &c, true
}

// cacheDisks keeps the disk images just built in the cache, by key.
func (b *build) cacheDisks(key, dir string, c *cachedDisk) error {
	cdir := filepath.Join(b.o.CacheDir, "release-disks", key)
	tmp := cdir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for _, f := range c.Files {
		if err := copySparse(filepath.Join(dir, f), filepath.Join(tmp, f)); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	j, _ := json.Marshal(c)
	if err := fileutil.WriteAtomic(filepath.Join(tmp, "disks.json"), j, 0o644); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	os.RemoveAll(cdir)
	return os.Rename(tmp, cdir)
}

// copySparse copies src to dst keeping holes (and sharing extents where
// the filesystem can). Never a hard link: a release's disk image is
// booted and upgraded in place, which must not change the cache's copy.
func copySparse(src, dst string) error {
	if out, err := exec.Command("cp", "--sparse=always", "--reflink=auto", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("copying %s: %v: %s", src, err, out)
	}
	return nil
}

// buildDisk writes the disk images of arch into ARCH/disk, from the
// cache when the same release was built before.
func buildDisk(arch string) func(context.Context, *build) ([]Artifact, error) {
	return func(ctx context.Context, b *build) ([]Artifact, error) {
		dir := filepath.Join(b.dir, arch, "disk")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		b.mu.Lock()
		p := b.parts[arch]
		b.mu.Unlock()
		key, err := b.diskKey(arch, p)
		if err != nil {
			return nil, err
		}
		c, ok := b.disksFromCache(key, dir)
		if !ok {
			res, err := nodeos.BuildDisk(ctx, b.r, arch, dir, b.nodeOS())
			if err != nil {
				return nil, err
			}
			c = &cachedDisk{Files: res.Files, Digests: map[string]string{}, Sizes: map[string]int64{}, Slot: res.Disk.Slot.Digest}
			for _, f := range res.Files {
				if c.Digests[f], c.Sizes[f], err = fileDigest(filepath.Join(dir, f)); err != nil {
					return nil, err
				}
			}
			if err := b.cacheDisks(key, dir, c); err != nil {
				return nil, fmt.Errorf("caching the disk images: %w", err)
			}
		}
		var out []Artifact
		for _, f := range c.Files {
			out = append(out, Artifact{Kind: KindDisk, Name: f, Arch: arch, Path: path.Join(arch, "disk", f),
				Digest: c.Digests[f], Size: c.Sizes[f], Inputs: map[string]string{"slot": c.Slot}})
		}
		return out, nil
	}
}
