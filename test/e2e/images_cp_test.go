package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/internal/testregistry"
)

// builtImages is `slipway images build|push --json`.
type builtImages struct {
	Images []struct {
		Name, Tag, Digest string
		Pushed            []string
	}
}

func imagesJSON(t *testing.T, env []string, args ...string) builtImages {
	t.Helper()
	r := slipway(t, env, append([]string{"images"}, append(args, "--json")...)...)
	if r.code != 0 {
		t.Fatalf("slipway images %s: exit %d\n%s", args[0], r.code, tail(r.stderr))
	}
	var b builtImages
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	return b
}

// layoutImage opens an image of an OCI layout the way slipway does.
func layoutImage(t *testing.T, dir, arch string) v1.Image {
	t.Helper()
	a, err := oci.Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := a.Platform(v1.Platform{Architecture: arch})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestControlPlaneImages: a release that declares the control-plane
// components and no spec.images gets their four images by default: the
// real kube-apiserver, kube-controller-manager and kube-scheduler v1.33.0
// (static, built from source by hack/build-kube.sh) over scratch, and
// Debian's dynamically linked etcd over a libc6 base chosen for it. Each
// runs from its flattened tree, as a static pod's `command:` names it
// (through the image's PATH).
func TestControlPlaneImages(t *testing.T) {
	f := release(t)
	needTools(t, "chroot")
	dir := t.TempDir()
	var comps strings.Builder
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		fmt.Fprintf(&comps, "    - {name: %s, version: 1.33.0, sources: {amd64: {url: \"file://%s\"}}}\n", c, filepath.Join(f.kube, "amd64", "bin", c))
	}
	fmt.Fprintf(&comps, "    - {name: etcd, version: 3.4.23, sources: {amd64: {url: \"file://%s\"}}}\n", filepath.Join(f.inputs, "amd64", "usr", "bin", "etcd"))
	spec := filepath.Join(dir, "release.yaml")
	doc := "apiVersion: slipway.dev/v1alpha1\nkind: Release\nmetadata: {name: cp}\nspec:\n  version: 0.1.0\n" +
		"  kubernetesVersion: 1.33.0\n  architectures: [amd64]\n  components:\n" + comps.String()
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	b := imagesJSON(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "build", "-f", spec, "-o", out, "--cache-dir", filepath.Join(dir, "cache"))
	var names []string
	for _, im := range b.Images {
		names = append(names, im.Name+":"+im.Tag)
	}
	if got := strings.Join(names, " "); got != "kube-apiserver:1.33.0 kube-controller-manager:1.33.0 kube-scheduler:1.33.0 etcd:3.4.23" {
		t.Fatalf("default images: %s", got)
	}
	for _, c := range []struct {
		name, want string
		layers     int
	}{
		{"kube-apiserver", "Kubernetes v1.33.0", 1},
		{"kube-controller-manager", "Kubernetes v1.33.0", 1},
		{"kube-scheduler", "Kubernetes v1.33.0", 1},
		{"etcd", "etcd Version: 3.4.23", 2},
	} {
		img := layoutImage(t, filepath.Join(out, c.name), "amd64")
		if ls, _ := img.Layers(); len(ls) != c.layers {
			t.Errorf("%s: %d layers, want %d (scratch for static binaries, a libc6 layer for dynamic ones)", c.name, len(ls), c.layers)
		}
		cf, _ := img.ConfigFile()
		if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/usr/local/bin/"+c.name {
			t.Errorf("%s: entrypoint %v", c.name, cf.Config.Entrypoint)
		}
		got, err := runInImage(t, flatten(t, img), "amd64", "/usr/local/bin/"+c.name, "--version")
		if err != nil || !strings.Contains(got, c.want) {
			t.Errorf("%s --version in its image: %v\n%s", c.name, err, got)
		}
	}
}

// TestOCISourcesAndBaseImages: a component taken from a path inside an
// image in Debian's docker-registry (oci://), built into an image whose
// base is another image read from an OCI layout archive; the result runs.
func TestOCISourcesAndBaseImages(t *testing.T) {
	f := release(t)
	needTools(t, "skopeo", "chroot")
	dir := t.TempDir()
	env := []string{"SOURCE_DATE_EPOCH=1700000000"}
	cache := filepath.Join(dir, "cache")
	etcd := filepath.Join(f.inputs, "amd64", "usr", "bin", "etcd")
	first := filepath.Join(dir, "first.yaml")
	writeFile(t, first, "apiVersion: slipway.dev/v1alpha1\nkind: Release\nmetadata: {name: first}\nspec:\n  version: 0.1.0\n"+
		"  kubernetesVersion: 1.33.0\n  architectures: [amd64]\n  components:\n"+
		"    - {name: etcd, version: 3.4.23, sources: {amd64: {url: \"file://"+etcd+"\"}}}\n")
	reg := testregistry.Start(t)
	imagesJSON(t, env, "push", "-f", first, "--registry", reg+"/k8s", "--cache-dir", cache)
	imagesJSON(t, env, "build", "-f", first, "-o", filepath.Join(dir, "archives"), "--format", "archive", "--cache-dir", cache)
	archive := filepath.Join(dir, "archives", "etcd.tar")
	if out, err := exec.Command("skopeo", "inspect", "--raw", "oci-archive:"+archive).CombinedOutput(); err != nil {
		t.Fatalf("skopeo reads the archive: %v\n%s", err, out)
	}

	second := filepath.Join(dir, "second.yaml")
	writeFile(t, second, "apiVersion: slipway.dev/v1alpha1\nkind: Release\nmetadata: {name: second}\nspec:\n  version: 0.1.0\n"+
		"  kubernetesVersion: 1.33.0\n  architectures: [amd64]\n  components:\n"+
		"    - name: etcdsrv\n      version: 3.4.23\n      sources:\n        amd64: {url: \"oci://"+reg+"/k8s/etcd:3.4.23\", path: /usr/local/bin/etcd}\n"+
		"  images:\n    - {name: etcd-over-base, component: etcdsrv, base: {image: \"./archives/etcd.tar\"}}\n")
	out := filepath.Join(dir, "out")
	imagesJSON(t, env, "build", "-f", second, "-o", out, "--cache-dir", cache)
	img := layoutImage(t, filepath.Join(out, "etcd-over-base"), "amd64")
	if ls, _ := img.Layers(); len(ls) != 3 {
		t.Errorf("%d layers, want 3: the base image's two and the binary's", len(ls))
	}
	got, err := runInImage(t, flatten(t, img), "amd64", "/usr/local/bin/etcd", "--version")
	if err != nil || !strings.Contains(got, "etcd Version: 3.4.23") {
		t.Fatalf("etcd from an oci:// source over a base image: %v\n%s", err, got)
	}
}

func writeFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
