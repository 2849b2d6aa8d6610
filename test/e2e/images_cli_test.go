package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/slipway-dev/slipway/images/rootfs"
	"github.com/slipway-dev/slipway/internal/testregistry"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestImagesBuildCLI builds the etcd image of a release from Debian's etcd
// binaries with `slipway images build`, twice from clean caches: the
// index digests match, skopeo reads the layout, and each architecture's
// image runs etcd from its flattened tree.
func TestImagesBuildCLI(t *testing.T) {
	needTools(t, "skopeo", "chroot", "qemu-aarch64-static")
	dir := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		debs := debianPackages(t, "etcd-server:"+arch)
		if err := rootfs.ExtractDeb(context.Background(), filepath.Join(dir, arch), debs["etcd-server"]); err != nil {
			t.Fatal(err)
		}
	}
	spec := filepath.Join(dir, "release.yaml")
	doc := fmt.Sprintf(`apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: images}
spec:
  version: 0.1.0
  kubernetesVersion: 1.33.0
  architectures: [amd64, arm64]
  components:
    - name: etcd
      version: 3.4.23
      sources:
        amd64: {url: "file://%[1]s/amd64/usr/bin/etcd"}
        arm64: {url: "file://%[1]s/arm64/usr/bin/etcd"}
  images:
    - name: etcd
      component: etcd
      base: {debian: [libc6]}
`, dir)
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var digests []string
	var out string
	for i := 0; i < 2; i++ {
		out = filepath.Join(dir, fmt.Sprintf("out%d", i))
		r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "images", "build", "-f", spec, "-o", out,
			"--cache-dir", filepath.Join(dir, fmt.Sprintf("cache%d", i)), "--json")
		if r.code != 0 {
			t.Fatalf("images build: exit %d\n%s", r.code, r.stderr)
		}
		var res struct {
			Images []struct{ Name, Tag, Digest string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Images) != 1 || res.Images[0].Tag != "3.4.23" {
			t.Fatalf("--json: %v %s", err, r.stdout)
		}
		digests = append(digests, res.Images[0].Digest)
	}
	if digests[0] != digests[1] {
		t.Fatalf("index digest differs between clean builds: %v", digests)
	}
	raw, err := exec.Command("skopeo", "inspect", "--raw", "oci:"+filepath.Join(out, "etcd")+":3.4.23").Output()
	if err != nil || !strings.Contains(string(raw), `"architecture":"arm64"`) || !strings.Contains(string(raw), `"architecture":"amd64"`) {
		t.Fatalf("skopeo inspect: %v\n%s", err, raw)
	}
	lp, err := layout.FromPath(filepath.Join(out, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	ii, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("layout index: %v %+v", err, im)
	}
	idx, err := ii.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	platforms, _ := idx.IndexManifest()
	for _, m := range platforms.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		got, err := runInImage(t, flatten(t, img), m.Platform.Architecture, "/usr/local/bin/etcd", "--version")
		if err != nil || !strings.Contains(got, "etcd Version: 3.4.23") {
			t.Fatalf("%s: etcd --version: %v\n%s", m.Platform.Architecture, err, got)
		}
	}
}

// TestImagesPushCLI pushes the example-like etcd image with `slipway images
// push` to Debian's docker-registry on 127.0.0.1 through a counting proxy:
// skopeo reads back the index the build reported, and a second push
// uploads no blob.
func TestImagesPushCLI(t *testing.T) {
	needTools(t, "skopeo")
	dir := t.TempDir()
	debs := debianPackages(t, "etcd-server:amd64")
	if err := rootfs.ExtractDeb(context.Background(), filepath.Join(dir, "amd64"), debs["etcd-server"]); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "release.yaml")
	doc := fmt.Sprintf("apiVersion: slipway.dev/v1alpha1\nkind: Release\nmetadata: {name: push}\nspec:\n  version: 0.1.0\n"+
		"  kubernetesVersion: 1.33.0\n  architectures: [amd64]\n  components:\n    - name: etcd\n      version: 3.4.23\n"+
		"      sources: {amd64: {url: \"file://%s/amd64/usr/bin/etcd\"}}\n  images:\n    - {name: etcd, component: etcd, base: {debian: [libc6]}}\n", dir)
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	proxy := testregistry.Count(t, testregistry.Start(t))
	push := func() string {
		r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "images", "push", "-f", spec,
			"--registry", proxy.Addr+"/k8s", "--cache-dir", filepath.Join(dir, "cache"), "--json")
		if r.code != 0 {
			t.Fatalf("images push: exit %d\n%s", r.code, r.stderr)
		}
		var res struct{ Images []struct{ Digest string } }
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Images) != 1 {
			t.Fatalf("--json: %v %s", err, r.stdout)
		}
		return res.Images[0].Digest
	}
	digest := push()
	first := proxy.Uploads()
	if first == 0 {
		t.Fatal("the first push uploaded no blob")
	}
	raw, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://"+proxy.Addr+"/k8s/etcd:3.4.23").Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	if got := "sha256:" + sha256Hex(raw); got != digest {
		t.Fatalf("registry serves %s, the build reported %s", got, digest)
	}
	if again := push(); again != digest || proxy.Uploads() != first {
		t.Fatalf("second push: digest %s (want %s), %d more blob uploads (want 0)", again, digest, proxy.Uploads()-first)
	}
}
