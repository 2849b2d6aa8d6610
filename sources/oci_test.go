package sources

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/spec"
)

// imageLayout writes a two-platform index holding /usr/local/bin/tool
// ("tool-ARCH") and a symlink to it, as OCI layout DIR/img.
func imageLayout(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	var imgs []v1.Image
	for _, arch := range []string{"amd64", "arm64"} {
		l, err := oci.LayerFromFiles([]oci.File{
			{Path: "/usr/local/bin/tool", Contents: []byte("tool-" + arch), Mode: 0o755},
			{Path: "/usr/local/bin/helper", Contents: []byte("helper"), Mode: 0o755},
			{Path: "/usr/bin/tool", Type: oci.TypeSymlink, Target: "/usr/local/bin/tool"},
		})
		if err != nil {
			t.Fatal(err)
		}
		img, err := oci.Build(ctx, oci.ImageSpec{Layers: []v1.Layer{l}, Platform: v1.Platform{Architecture: arch}})
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	idx, err := oci.Index(imgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := oci.WriteLayout(ctx, filepath.Join(dir, "img"), idx); err != nil {
		t.Fatal(err)
	}
}

// TestFetchFromImage: oci:// sources take a file, or a directory's files,
// from the image of the right architecture, and refuse what they cannot.
func TestFetchFromImage(t *testing.T) {
	dir := t.TempDir()
	imageLayout(t, dir)
	f := &Fetcher{CacheDir: t.TempDir()}
	ctx := context.Background()
	for _, arch := range []string{"amd64", "arm64"} {
		bins, err := f.Fetch(ctx, dir, arch, spec.Source{URL: "oci://./img", Path: "/usr/local/bin/tool"})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(bins[0].Path); len(bins) != 1 || bins[0].Name != "tool" || string(b) != "tool-"+arch {
			t.Fatalf("%s: got %v %q", arch, bins, b)
		}
	}
	bins, err := f.Fetch(ctx, dir, "amd64", spec.Source{URL: "oci://./img", Path: "/usr/local/bin"})
	if err != nil || len(bins) != 2 || bins[0].Name != "helper" {
		t.Fatalf("directory: %v, %v", bins, err)
	}
	bad := []struct {
		name string
		arch string
		src  spec.Source
		want string
	}{
		{"no such file", "amd64", spec.Source{URL: "oci://./img", Path: "/usr/bin/absent"}, "no file at /usr/bin/absent"},
		{"symlink", "amd64", spec.Source{URL: "oci://./img", Path: "/usr/bin/tool"}, "is a link to /usr/local/bin/tool"},
		{"no such architecture", "s390x", spec.Source{URL: "oci://./img", Path: "/usr/local/bin/tool"}, "has no image for linux/s390x"},
		{"no such layout", "amd64", spec.Source{URL: "oci://./nothing", Path: "/x"}, "no such image"},
		{"wrong digest", "amd64", spec.Source{URL: "oci://./img", Path: "/usr/local/bin/tool", SHA256: strings.Repeat("0", 64)}, "checksum mismatch"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.Fetch(ctx, dir, c.arch, c.src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	var ce *ChecksumError
	if _, err := f.Fetch(ctx, dir, "amd64", spec.Source{URL: "oci://./img", Path: "/usr/local/bin/tool", SHA256: strings.Repeat("0", 64)}); !errors.As(err, &ce) {
		t.Fatalf("wrong digest: %T %v, want *ChecksumError", err, err)
	}
}
