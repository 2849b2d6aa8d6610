package oci

import (
	"context"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// buildTestIndex builds an amd64 and an arm64 image, each with a layer of
// per-architecture files, and indexes them (in the order given by archs).
func buildTestIndex(t *testing.T, archs ...string) (v1.ImageIndex, []v1.Image) {
	t.Helper()
	ctx := context.Background()
	var imgs []v1.Image
	for _, arch := range archs {
		layer, err := LayerFromFiles([]File{
			{Path: "/usr/local/bin/etcd", Contents: []byte("etcd for " + arch), Mode: 0o755},
			{Path: "/etc/os-release", Contents: []byte("ID=slipway\n")},
		}, WithEpoch(testEpoch))
		if err != nil {
			t.Fatal(err)
		}
		img, err := Build(ctx, ImageSpec{
			Layers:     []v1.Layer{layer},
			Platform:   v1.Platform{OS: "linux", Architecture: arch},
			Entrypoint: []string{"/usr/local/bin/etcd"},
			Cmd:        []string{"--help"},
			Env:        []string{"PATH=/usr/local/bin:/usr/bin", "ETCD_UNSUPPORTED_ARCH=" + arch},
			User:       "65532:65532",
			WorkingDir: "/var/lib/etcd",
			Labels:     map[string]string{"dev.slipway.component": "etcd"},
			Annotations: map[string]string{
				AnnotationSource:   "https://github.com/slipway-dev/slipway",
				AnnotationRevision: "0123456789abcdef",
				AnnotationVersion:  "v3.4.23",
			},
		}, WithEpoch(testEpoch))
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	idx, err := Index(imgs)
	if err != nil {
		t.Fatal(err)
	}
	return idx, imgs
}

// TestBuildDeterministic builds the same index twice, once with the images in
// the other order, and requires the same digest.
func TestBuildDeterministic(t *testing.T) {
	a, _ := buildTestIndex(t, "amd64", "arm64")
	b, _ := buildTestIndex(t, "arm64", "amd64")
	if da, db := digestOf(t, a), digestOf(t, b); da != db {
		t.Fatalf("index digests differ: %s vs %s", da, db)
	}
}

// TestBuildConfigAndManifest checks media types, the created time, the
// runtime config, annotations and the index's platform descriptors.
func TestBuildConfigAndManifest(t *testing.T) {
	idx, imgs := buildTestIndex(t, "amd64", "arm64")
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex || len(im.Manifests) != 2 {
		t.Fatalf("index media type %s with %d manifests", im.MediaType, len(im.Manifests))
	}
	for i, arch := range []string{"amd64", "arm64"} {
		d := im.Manifests[i]
		if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != arch || d.MediaType != types.OCIManifestSchema1 || d.ArtifactType != "" {
			t.Errorf("manifests[%d] = %s platform %v, want linux/%s", i, d.MediaType, d.Platform, arch)
		}
	}
	m, err := imgs[0].Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("manifest config %s layers %v", m.Config.MediaType, m.Layers)
	}
	if m.Annotations[AnnotationVersion] != "v3.4.23" || m.Annotations[AnnotationSource] == "" {
		t.Errorf("manifest annotations %v", m.Annotations)
	}
	cf, err := imgs[0].ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !cf.Created.Equal(testEpoch) || len(cf.History) != 1 || !cf.History[0].Created.Equal(testEpoch) {
		t.Errorf("created %v history %v, want %v", cf.Created, cf.History, testEpoch)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/etcd"}) || c.User != "65532:65532" ||
		c.WorkingDir != "/var/lib/etcd" || c.Labels["dev.slipway.component"] != "etcd" || len(c.Env) != 2 {
		t.Errorf("config %+v", c)
	}
}

// TestBuildOverBase checks that a base image's env and labels are merged,
// not replaced, and its layers kept.
func TestBuildOverBase(t *testing.T) {
	_, imgs := buildTestIndex(t, "amd64")
	img, err := Build(context.Background(), ImageSpec{
		Base:     imgs[0],
		Platform: v1.Platform{Architecture: "amd64"},
		Env:      []string{"PATH=/bin", "EXTRA=1"},
		Labels:   map[string]string{"extra": "yes"},
	}, WithEpoch(testEpoch))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wantEnv := []string{"PATH=/bin", "ETCD_UNSUPPORTED_ARCH=amd64", "EXTRA=1"}
	if !slices.Equal(cf.Config.Env, wantEnv) || len(cf.Config.Labels) != 2 || cf.OS != "linux" {
		t.Errorf("env %v labels %v os %q", cf.Config.Env, cf.Config.Labels, cf.OS)
	}
	if len(cf.RootFS.DiffIDs) != 1 || cf.Config.User != "65532:65532" {
		t.Errorf("base layers or user lost: %v %q", cf.RootFS.DiffIDs, cf.Config.User)
	}
}

func TestBuildAndIndexErrors(t *testing.T) {
	_, err := Build(context.Background(), ImageSpec{Env: []string{"NOEQUALS"}, Layers: []v1.Layer{nil}})
	for _, want := range []string{"platform.architecture: required", `env[0] "NOEQUALS"`, "layers[0]: nil"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Build error %v lacks %q", err, want)
		}
	}
	_, imgs := buildTestIndex(t, "amd64")
	if _, err := Index([]v1.Image{imgs[0], imgs[0]}); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("Index with a duplicate platform: %v", err)
	}
}
