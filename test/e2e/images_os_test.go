package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/images/rootfs"
	"github.com/slipway-dev/slipway/internal/testregistry"
)

// TestImagesOSCLI packs a real root filesystem tree (Debian's libc6 and
// etcd-server unpacked) with `slipway images os pack`, pushes it to
// Debian's docker-registry, reads it back with skopeo, and flattens it
// with `images os unpack`: the tree comes back identical and its etcd
// runs. `images inspect` reports the pushed digest.
func TestImagesOSCLI(t *testing.T) {
	needTools(t, "skopeo", "chroot")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	debs := debianPackages(t, "libc6:amd64", "etcd-server:amd64")
	for _, p := range []string{"libc6", "etcd-server"} {
		if err := rootfs.ExtractDeb(t.Context(), root, debs[p], rootfs.WithOwners()); err != nil {
			t.Fatal(err)
		}
	}
	reg := testregistry.Start(t)
	env := []string{"SOURCE_DATE_EPOCH=1700000000"}
	ref := reg + "/slipway/os:1.0.0"
	b := imagesJSON(t, env, "os", "pack", root, "--version", "1.0.0", "--push", ref, "--cache-dir", filepath.Join(dir, "cache"))
	raw, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://"+ref).Output()
	if err != nil || "sha256:"+sha256Hex(raw) != b.Images[0].Digest {
		t.Fatalf("skopeo reads %s (%v), want the reported %s", "sha256:"+sha256Hex(raw), err, b.Images[0].Digest)
	}
	r := slipway(t, nil, "images", "inspect", ref)
	if r.code != 0 || !strings.Contains(r.stdout, b.Images[0].Digest) || !strings.Contains(r.stdout, "linux/amd64") {
		t.Fatalf("images inspect: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tree := filepath.Join(dir, "tree")
	if r := slipway(t, nil, "images", "os", "unpack", ref, "-o", tree); r.code != 0 {
		t.Fatalf("images os unpack: exit %d\n%s", r.code, r.stderr)
	}
	if a, b := strings.Join(listing(t, root), "\n"), strings.Join(listing(t, tree), "\n"); a != b {
		t.Fatalf("unpacked tree differs from the packed one")
	}
	out, err := runInImage(t, tree, "amd64", "/usr/bin/etcd", "--version")
	if err != nil || !strings.Contains(out, "3.4.23") {
		t.Fatalf("etcd in the unpacked OS tree: %v\n%s", err, out)
	}
	again := imagesJSON(t, env, "os", "pack", root, "--version", "1.0.0", "-o", filepath.Join(dir, "layout"), "--cache-dir", filepath.Join(dir, "cache2"))
	if again.Images[0].Digest != b.Images[0].Digest {
		t.Fatalf("packing the same tree again: %s, first %s", again.Images[0].Digest, b.Images[0].Digest)
	}
}

// evilImage writes an OCI layout whose one layer holds entries.
func evilImage(t *testing.T, dir string, hdrs ...*tar.Header) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 && h.Size < 1<<20 {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	tw.Flush() // a huge header's body is never written: the reader must refuse it on the header
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.Build(t.Context(), oci.ImageSpec{Layers: []v1.Layer{l}, Platform: v1.Platform{Architecture: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := oci.Index([]v1.Image{img})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "evil")
	if err := oci.WriteLayout(t.Context(), p, idx); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImagesBadInput: malicious OS images are refused by `images os
// unpack` with the reason and nothing written (neither the target nor
// anything outside it); a missing base image and an unreachable registry
// fail `images build|push` with a clear message, the latter after a
// bounded number of tries.
func TestImagesBadInput(t *testing.T) {
	now := time.Unix(1700000000, 0)
	reg := func(name string, body int64) *tar.Header {
		return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: body, ModTime: now}
	}
	cases := []struct {
		name string
		hdrs []*tar.Header
		want string
	}{
		{"path traversal", []*tar.Header{reg("../../escaped", 1)}, "'..'"},
		{"absolute path", []*tar.Header{reg("/etc/escaped", 1)}, "absolute path"},
		{"symlink escape", []*tar.Header{{Name: "etc", Typeflag: tar.TypeSymlink, Linkname: "../../..", ModTime: now}}, "leaves the tree"},
		{"hardlink escape", []*tar.Header{{Name: "passwd", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd", ModTime: now}}, "hard link"},
		{"huge header", []*tar.Header{reg("big", 5<<30)}, "over the"},
		{"device node", []*tar.Header{{Name: "dev/sda", Typeflag: tar.TypeBlock, Devmajor: 8, Mode: 0o600, ModTime: now}}, "device"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			layout := evilImage(t, dir, c.hdrs...)
			before := listing(t, dir)
			target := filepath.Join(dir, "tree")
			r := slipway(t, nil, "images", "os", "unpack", layout, "-o", target)
			if r.code == 0 || !strings.Contains(r.stderr, "unsafe layer entry") || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant a refusal mentioning %q", r.code, r.stderr, c.want)
			}
			if after := listing(t, dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Fatalf("a refused unpack changed %s:\nbefore %v\nafter  %v", dir, before, after)
			}
		})
	}
	t.Run("missing base image", func(t *testing.T) {
		dir := t.TempDir()
		spec := filepath.Join(dir, "r.yaml")
		writeFile(t, spec, "apiVersion: slipway.dev/v1alpha1\nkind: Release\nmetadata: {name: bad}\nspec:\n  version: 0.1.0\n"+
			"  kubernetesVersion: 1.33.0\n  architectures: [amd64]\n  components:\n"+
			"    - {name: tool, version: 1.0.0, sources: {amd64: {url: \"file://"+slipwayBin(t)+"\"}}}\n"+
			"  images:\n    - {name: tool, component: tool, base: {image: ./no-such-layout}}\n")
		r := slipway(t, []string{"SOURCE_DATE_EPOCH=1"}, "images", "build", "-f", spec, "-o", filepath.Join(dir, "out"), "--cache-dir", filepath.Join(dir, "c"))
		if r.code != 1 || !strings.Contains(r.stderr, "no such image") || !strings.Contains(r.stderr, "no-such-layout") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
			t.Fatal("a failed build left its output directory")
		}
	})
	t.Run("unreachable registry", func(t *testing.T) {
		dir := t.TempDir()
		root := filepath.Join(dir, "root")
		writeFile(t, filepath.Join(dir, "placeholder"), "")
		os.MkdirAll(filepath.Join(root, "etc"), 0o755)
		writeFile(t, filepath.Join(root, "etc", "os-release"), "ID=test\n")
		start := time.Now()
		r := slipway(t, []string{"SOURCE_DATE_EPOCH=1"}, "images", "os", "pack", root, "--version", "1", "--push", "127.0.0.1:1/os:1", "--cache-dir", filepath.Join(dir, "c"))
		took := time.Since(start)
		if r.code != 1 || !strings.Contains(r.stderr, "registry 127.0.0.1:1 unreachable after 3 tries") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		if took < time.Second || took > time.Minute {
			t.Fatalf("gave up after %s: want a bounded retry (three tries, backoff from 500 ms)", took)
		}
	})
}
