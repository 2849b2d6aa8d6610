package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway-dev/slipway/internal/testregistry"
)

// TestPushToRegistry pushes an index to a real docker-registry through a
// counting proxy, reads it back with skopeo (raw manifest and a full copy to
// an OCI layout) and pushes again to show no blob is uploaded twice.
func TestPushToRegistry(t *testing.T) {
	skopeo := needTool(t, "skopeo", "skopeo")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proxy := testregistry.Count(t, testregistry.Start(t))
	idx, imgs := buildTestIndex(t, "amd64", "arm64")
	raw, err := idx.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	ref := proxy.Addr + "/slipway/etcd:v3.4.23"
	res, err := Push(ctx, ref, idx, WithTags("latest"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{proxy.Addr + "/slipway/etcd@" + digestOf(t, idx).String(), ref, proxy.Addr + "/slipway/etcd:latest"}
	if res.Digest != digestOf(t, idx) || !slices.Equal(res.References, want) {
		t.Errorf("Push = %+v, want digest %s refs %v", res, digestOf(t, idx), want)
	}
	first := proxy.Uploads()
	// 2 layers + 2 configs, each a POST and a PUT at least.
	if first < 8 {
		t.Errorf("first push made %d blob upload requests, want >= 8", first)
	}

	for _, tag := range []string{"v3.4.23", "latest"} {
		got := run(t, ctx, skopeo, "inspect", "--tls-verify=false", "--raw", "docker://"+proxy.Addr+"/slipway/etcd:"+tag)
		if !bytes.Equal(got, raw) {
			t.Errorf("skopeo inspect --raw :%s =\n%s\nwant\n%s", tag, got, raw)
		}
	}
	for _, img := range imgs {
		want, err := img.RawManifest()
		if err != nil {
			t.Fatal(err)
		}
		byDigest := "docker://" + proxy.Addr + "/slipway/etcd@" + digestOf(t, img).String()
		if got := run(t, ctx, skopeo, "inspect", "--tls-verify=false", "--raw", byDigest); !bytes.Equal(got, want) {
			t.Errorf("skopeo inspect --raw %s =\n%s\nwant\n%s", byDigest, got, want)
		}
	}
	dst := filepath.Join(t.TempDir(), "copy")
	run(t, ctx, skopeo, "copy", "--all", "--src-tls-verify=false", "docker://"+ref, "oci:"+dst+":v3.4.23")
	if got := run(t, ctx, skopeo, "inspect", "--raw", "oci:"+dst+":v3.4.23"); !bytes.Equal(got, raw) {
		t.Errorf("copied layout holds index\n%s\nwant\n%s", got, raw)
	}

	if _, err := Push(ctx, ref, idx); err != nil {
		t.Fatal(err)
	}
	if again := proxy.Uploads() - first; again != 0 {
		t.Errorf("second push made %d blob upload requests, want 0", again)
	}
}

// TestWriteLayoutSkopeo writes a layout and reads it with skopeo: the raw
// index is byte-identical and the host-platform image resolves.
func TestWriteLayoutSkopeo(t *testing.T) {
	skopeo := needTool(t, "skopeo", "skopeo")
	ctx := context.Background()
	idx, imgs := buildTestIndex(t, "amd64", "arm64")
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(ctx, dir, idx, WithRefName("v1")); err != nil {
		t.Fatal(err)
	}
	raw, err := idx.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"oci:" + dir, "oci:" + dir + ":v1"} {
		if got := run(t, ctx, skopeo, "inspect", "--raw", src); !bytes.Equal(got, raw) {
			t.Errorf("skopeo inspect --raw %s =\n%s\nwant\n%s", src, got, raw)
		}
	}
	var info struct{ Digest, Architecture, Os string }
	out := run(t, ctx, skopeo, "inspect", "--override-arch", "arm64", "--override-os", "linux", "oci:"+dir)
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("parsing skopeo inspect: %v\n%s", err, out)
	}
	if info.Digest != digestOf(t, idx).String() || info.Architecture != "arm64" || info.Os != "linux" {
		t.Errorf("skopeo inspect = %+v, want index %s resolved to linux/arm64", info, digestOf(t, idx))
	}
	cf, err := imgs[1].ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	raws := run(t, ctx, skopeo, "inspect", "--config", "--raw", "--override-arch", "arm64", "oci:"+dir)
	var got v1.ConfigFile
	if err := json.Unmarshal(raws, &got); err != nil || !slices.Equal(got.RootFS.DiffIDs, cf.RootFS.DiffIDs) {
		t.Errorf("skopeo config for arm64 = %s (%v), want diff ids %v", raws, err, cf.RootFS.DiffIDs)
	}
	if err := WriteLayout(ctx, dir, idx); !errors.Is(err, os.ErrExist) {
		t.Errorf("WriteLayout over an existing dir: %v, want ErrExist", err)
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil || len(entries) != 1 {
		t.Errorf("temp dirs left beside the layout: %v %v", entries, err)
	}
}

type okTransport struct{}

func (okTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

// TestSchemeGuard shows plain HTTP is allowed for loopback only, unless
// WithInsecure is given; TLS is always allowed.
func TestSchemeGuard(t *testing.T) {
	cases := []struct {
		name     string
		url      string
		insecure bool
		ok       bool
	}{
		{"loopback v4", "http://127.0.0.1:5000/v2/", false, true},
		{"localhost", "http://localhost:5000/v2/", false, true},
		{"loopback v6", "http://[::1]:5000/v2/", false, true},
		{"private net", "http://10.1.2.3:5000/v2/", false, false},
		{"public name", "http://registry.example.com/v2/", false, false},
		{"explicit insecure", "http://10.1.2.3:5000/v2/", true, true},
		{"tls", "https://registry.example.com/v2/", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = (&schemeGuard{insecure: c.insecure, next: okTransport{}}).RoundTrip(req)
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, errPlainHTTP)) {
				t.Errorf("RoundTrip(%s) error %v, want ok=%v", c.url, err, c.ok)
			}
		})
	}
}

// TestPushRejectsWrongDigest checks a digest reference must match the index.
func TestPushRejectsWrongDigest(t *testing.T) {
	idx, _ := buildTestIndex(t, "amd64")
	other := v1.Hash{Algorithm: "sha256", Hex: "0000000000000000000000000000000000000000000000000000000000000000"}
	_, err := Push(context.Background(), "127.0.0.1:1/x@"+other.String(), idx)
	if err == nil {
		t.Fatal("Push with a mismatched digest succeeded")
	}
}
