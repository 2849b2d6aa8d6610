package nodeos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"github.com/slipway-dev/slipway/images"
	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/images/rootfs"
	"github.com/slipway-dev/slipway/internal/fileutil"
	"github.com/slipway-dev/slipway/spec"
)

// rootfsVersion changes when what Rootfs does to a tree changes.
const rootfsVersion = "slipway-rootfs-v4"

// Rootfs returns the release's node OS tree for arch and its cache key:
// built (or unpacked, or copied) once into CacheDir/rootfs/KEY, finalized
// as a slipway node root (rootfs.Finalize) and checked to be bootable
// (rootfs.Check: kernel, systemd, systemd-boot, Ignition).
func Rootfs(ctx context.Context, r *spec.Release, arch string, o Options) (string, string, error) {
	if err := o.fill(); err != nil {
		return "", "", err
	}
	nos := r.NodeOS()
	src, key, err := sourceKey(ctx, r, nos.Rootfs, arch, o)
	if err != nil {
		return "", "", err
	}
	info := rootfs.OSInfo{Version: nos.Version, Name: r.Metadata.Name, KubernetesVersion: r.Spec.KubernetesVersion}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\n%+v", rootfsVersion, key, info))
	key = hex.EncodeToString(h[:])
	dir := filepath.Join(o.CacheDir, "rootfs", key[:32])
	if _, err := os.Stat(dir); err == nil {
		return dir, key, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", "", err
	}
	tmp := filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".build")
	os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	if err := src(ctx, tmp); err != nil {
		return "", "", err
	}
	if err := rootfs.Finalize(tmp, info); err != nil {
		return "", "", fmt.Errorf("finalizing the root filesystem: %w", err)
	}
	if err := rootfs.Check(tmp); err != nil {
		return "", "", fmt.Errorf("the root filesystem cannot boot as a slipway node: %w", err)
	}
	if err := stampTimes(tmp, o.Epoch); err != nil {
		return "", "", fmt.Errorf("stamping the root filesystem's times: %w", err)
	}
	return dir, key, os.Rename(tmp, dir)
}

// stampTimes sets every entry's modification time to the epoch, so the
// slot filesystem depends on the tree's content only: a tree built by
// mmdebstrap and the same tree flattened from its OS image give the same
// bytes (mksquashfs only clamps times newer than SOURCE_DATE_EPOCH).
func stampTimes(root string, epoch time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(epoch.UnixNano()), unix.NsecToTimespec(epoch.UnixNano())}
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
}

// sourceKey returns how to make the tree at a path (which must not exist)
// and a key naming the source's content.
func sourceKey(ctx context.Context, r *spec.Release, rf spec.Rootfs, arch string, o Options) (func(context.Context, string) error, string, error) {
	base := filepath.Dir(r.File())
	switch {
	case rf.Debian != nil:
		return debianSource(ctx, rf.Debian, arch, o)
	case rf.Image != "":
		a, err := oci.Open(ctx, base, rf.Image)
		if err != nil {
			return nil, "", err
		}
		defer a.Close()
		img, err := a.Platform(v1.Platform{OS: "linux", Architecture: arch})
		if err != nil {
			return nil, "", err
		}
		d, err := img.Digest()
		if err != nil {
			return nil, "", err
		}
		ref := rf.Image
		if oci.IsLocalRef(ref) && !filepath.IsAbs(ref) {
			abs, err := filepath.Abs(filepath.Join(base, ref))
			if err != nil {
				return nil, "", err
			}
			ref = abs
		}
		return func(ctx context.Context, dst string) error {
			return images.UnpackOS(ctx, ref, arch, dst, true)
		}, "image " + d.String(), nil
	case rf.Tarball != "":
		p := resolve(base, rf.Tarball)
		d, err := fileutil.SHA256(p)
		if err != nil {
			return nil, "", fmt.Errorf("reading the rootfs tarball: %w", err)
		}
		return func(ctx context.Context, dst string) error {
			return images.UnpackRootTarball(ctx, p, dst)
		}, "tarball " + d, nil
	default:
		p := resolve(base, rf.Directory)
		if _, err := os.Stat(p); err != nil {
			return nil, "", fmt.Errorf("reading the rootfs directory: %w", err)
		}
		key, err := treeKey(p)
		if err != nil {
			return nil, "", fmt.Errorf("reading the rootfs directory: %w", err)
		}
		return func(ctx context.Context, dst string) error {
			if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", p, dst).CombinedOutput(); err != nil {
				return fmt.Errorf("copying %s: %v: %s", p, err, out)
			}
			return nil
		}, "directory " + key, nil
	}
}

func debianSource(ctx context.Context, d *spec.DebianRootfs, arch string, o Options) (func(context.Context, string) error, string, error) {
	var debs []string
	if o.Debs != nil {
		var err error
		if debs, err = o.Debs(ctx, arch); err != nil {
			return nil, "", fmt.Errorf("building the release's packages: %w", err)
		}
	}
	digests, err := rootfs.DebDigests(debs...)
	if err != nil {
		return nil, "", err
	}
	deb := rootfs.Debian{Suite: d.Suite, Mirror: d.Mirror, Arch: arch, Packages: d.Packages, LocalDebs: debs}
	if deb, err = deb.Resolve(); err != nil {
		return nil, "", err
	}
	return func(ctx context.Context, dst string) error {
		return rootfs.BuildDebian(ctx, dst, deb, rootfs.WithDebCache(filepath.Join(o.CacheDir, "debs", "mmdebstrap-"+deb.Suite+"-"+arch)),
			rootfs.WithSourceDateEpoch(o.Epoch), rootfs.WithLog(o.Log))
	}, "debian " + rootfs.DebianKey(deb, digests...), nil
}

func resolve(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// treeKey hashes what make would look at in a tree: every entry's path,
// mode, owner, size and modification time (not the contents).
func treeKey(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st, _ := info.Sys().(*syscall.Stat_t)
		var uid, gid uint32
		if st != nil {
			uid, gid = st.Uid, st.Gid
		}
		fmt.Fprintf(h, "%s %o %d:%d %d %d\n", p, info.Mode(), uid, gid, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}
