package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/images/rootfs"

	"github.com/slipway-dev/slipway/images"
)

// debianPackages downloads real Debian packages with images.AptDownload
// (apt-get download, never installed) and returns their paths by name.
func debianPackages(t *testing.T, pkgs ...string) map[string]string {
	t.Helper()
	needTools(t, "apt-get")
	dir := t.TempDir()
	os.Chmod(dir, 0o755) // apt's sandbox user writes here
	fetch := images.AptDownload(dir)
	out := map[string]string{}
	for _, p := range pkgs {
		name, arch, _ := strings.Cut(p, ":")
		deb, err := fetch(context.Background(), name, arch)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = deb
	}
	return out
}

// etcdImage builds an image of Debian's etcd binary for arch, over a
// distroless-style base made from Debian's libc6 when withBase is set.
func etcdImage(t *testing.T, debs map[string]string, arch string, withBase bool) v1.Image {
	t.Helper()
	ctx := context.Background()
	epoch := oci.WithEpoch(time.Unix(1700000000, 0))
	var layers []v1.Layer
	if withBase {
		base := t.TempDir()
		if err := rootfs.ExtractDeb(ctx, base, debs["libc6"]); err != nil {
			t.Fatal(err)
		}
		l, err := oci.LayerFromDir(base, epoch)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	etcd := t.TempDir()
	if err := rootfs.ExtractDeb(ctx, etcd, debs["etcd-server"]); err != nil {
		t.Fatal(err)
	}
	l, err := oci.LayerFromFiles([]oci.File{{Path: "/usr/bin/etcd", Source: filepath.Join(etcd, "usr/bin/etcd"), Mode: 0o755}}, epoch)
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.Build(ctx, oci.ImageSpec{Layers: append(layers, l), Platform: v1.Platform{OS: "linux", Architecture: arch},
		Entrypoint: []string{"/usr/bin/etcd"}}, epoch)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// flatten applies the image's layers to a fresh directory with
// rootfs.Extract, as slipway does for OS images.
func flatten(t *testing.T, img v1.Image) string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var readers []io.Reader
	for _, l := range layers {
		r, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		readers = append(readers, r)
	}
	dir := t.TempDir()
	if err := rootfs.Extract(context.Background(), dir, readers); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDistrolessBaseRunsDebianBinary: Debian's dynamically linked etcd runs
// inside its flattened image (chroot; arm64 through qemu-user-static placed
// in the root, since binfmt_misc is not available here) only with the
// libc6 base layer, and the image's digest does not change between builds.
func TestDistrolessBaseRunsDebianBinary(t *testing.T) {
	needTools(t, "chroot", "qemu-aarch64-static")
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			debs := debianPackages(t, "libc6:"+arch, "etcd-server:"+arch)
			img := etcdImage(t, debs, arch, true)
			out, err := runInImage(t, flatten(t, img), arch, "/usr/bin/etcd", "--version")
			if err != nil || !strings.Contains(out, "etcd Version: 3.4") {
				t.Fatalf("etcd --version in the %s image: %v\n%s", arch, err, out)
			}
			if out, err := runInImage(t, flatten(t, etcdImage(t, debs, arch, false)), arch, "/usr/bin/etcd", "--version"); err == nil {
				t.Fatalf("etcd ran without the libc6 base, so the test proves nothing:\n%s", out)
			}
			d1, _ := img.Digest()
			d2, _ := etcdImage(t, debs, arch, true).Digest()
			if d1 != d2 {
				t.Fatalf("image digest differs between builds: %s vs %s", d1, d2)
			}
		})
	}
}

// runInImage runs a program chrooted into a flattened image; foreign
// architectures run under qemu-user-static copied into the root.
func runInImage(t *testing.T, root, arch string, args ...string) (string, error) {
	t.Helper()
	if arch != "amd64" {
		qemu, err := exec.LookPath("qemu-aarch64-static")
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(qemu)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "qemu-aarch64-static"), b, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"/qemu-aarch64-static"}, args...)
	}
	out, err := exec.Command("chroot", append([]string{root}, args...)...).CombinedOutput()
	return string(out), err
}
