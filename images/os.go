package images

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/images/rootfs"
)

// OSImage describes how an OS root filesystem becomes an OCI image.
type OSImage struct {
	// Root is a root filesystem: a directory, or a tar archive (plain or
	// gzip) that is first unpacked with rootfs.Extract's safety rules.
	Root string
	// Arch is the image's architecture (amd64, arm64).
	Arch string
	// Version is the OS version, written as org.opencontainers.image.version.
	Version string
	// Source is written as org.opencontainers.image.source (optional).
	Source string
	// Epoch stamps every entry (SOURCE_DATE_EPOCH).
	Epoch time.Time
	// CacheDir holds the packed layer (CacheDir/os-layers/).
	CacheDir string
}

// PackOS makes a one-layer image of an OS root filesystem, in an index of
// one platform, so OS images and multi-arch indexes are handled alike. The
// layer keeps owners, modes, hard links, file capabilities and device
// nodes (oci.TreeLayer); the same tree gives the same digest.
func PackOS(ctx context.Context, o OSImage) (v1.ImageIndex, error) {
	root := o.Root
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("packing OS image: %w", err)
	}
	if !st.IsDir() {
		tmp, err := os.MkdirTemp("", "slipway-os-root-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		if err := UnpackRootTarball(ctx, root, tmp); err != nil {
			return nil, fmt.Errorf("packing OS image: %w", err)
		}
		root = tmp
	}
	abs, _ := filepath.Abs(o.Root)
	key := sha256.Sum256([]byte(abs))
	dir := filepath.Join(o.CacheDir, "os-layers")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	epoch := oci.WithEpoch(o.Epoch)
	layer, err := oci.TreeLayer(ctx, root, filepath.Join(dir, hex.EncodeToString(key[:8])+".tar.gz"), epoch)
	if err != nil {
		return nil, err
	}
	img, err := oci.Build(ctx, oci.ImageSpec{
		Layers:      []v1.Layer{layer},
		Platform:    v1.Platform{OS: "linux", Architecture: o.Arch},
		Cmd:         []string{"/sbin/init"},
		Annotations: osAnnotations(o),
	}, epoch)
	if err != nil {
		return nil, err
	}
	return oci.Index([]v1.Image{img})
}

func osAnnotations(o OSImage) map[string]string {
	a := map[string]string{oci.AnnotationVersion: o.Version}
	if o.Source != "" {
		a[oci.AnnotationSource] = o.Source
	}
	return a
}

// UnpackRootTarball unpacks a root filesystem archive (plain or gzip)
// into dst with rootfs.Extract's safety rules, keeping owners and
// attributes when run as root and allowing device nodes.
func UnpackRootTarball(ctx context.Context, path, dst string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := maybeGunzip(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return rootfs.Extract(ctx, dst, []io.Reader{r}, rootOptions(true)...)
}

// rootOptions keeps owners and attributes when running as root; device
// nodes are allowed when asked for.
func rootOptions(devices bool) []rootfs.Option {
	var opts []rootfs.Option
	if os.Geteuid() == 0 {
		opts = append(opts, rootfs.WithOwners())
	}
	if devices {
		opts = append(opts, rootfs.WithDevices())
	}
	return opts
}

// UnpackOS flattens the image ref names (any form oci.Open takes) for
// arch into the directory dst, which must not exist: layers are applied
// in order into a sibling directory renamed into place when complete.
// Unsafe entries are refused (rootfs.ErrUnsafeEntry); device nodes only
// with devices.
func UnpackOS(ctx context.Context, ref, arch, dst string, devices bool, opts ...oci.Option) error {
	a, err := oci.Open(ctx, ".", ref, opts...)
	if err != nil {
		return err
	}
	defer a.Close()
	img, err := a.Platform(v1.Platform{OS: "linux", Architecture: arch})
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("unpacking %s: %s already exists", ref, dst)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := flatten(ctx, img, tmp, rootOptions(devices)); err != nil {
		return fmt.Errorf("unpacking %s: %w", ref, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// flatten applies img's layers in order to dir.
func flatten(ctx context.Context, img v1.Image, dir string, opts []rootfs.Option) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for i, l := range layers {
		lr, err := openLayer(l)
		if err != nil {
			return fmt.Errorf("reading layer %d: %w", i, err)
		}
		err = rootfs.Extract(ctx, dir, []io.Reader{lr}, opts...)
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, lr.corrupt(err))
		}
		if err := lr.Close(); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return nil
}

// maybeGunzip returns r decompressed when it starts with the gzip magic.
func maybeGunzip(f *os.File) (io.Reader, error) {
	var magic [2]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if magic != [2]byte{0x1f, 0x8b} {
		return f, nil
	}
	return gzip.NewReader(f)
}
