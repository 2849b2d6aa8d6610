package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/slipway-dev/slipway/images/rootfs"
)

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
		var res struct{ Images []struct{ Name, Tag, Digest string } }
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
