package sources

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/spec"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tarGz builds an archive from entries; a nil body makes a directory.
func tarGz(t *testing.T, entries []tar.Header, bodies map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		body := bodies[h.Name]
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(body))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func serve(t *testing.T, files map[string][]byte) (*httptest.Server, *int) {
	t.Helper()
	hits := new(int)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*hits++
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func TestDownloadVerifiesAndCaches(t *testing.T) {
	body := []byte("\x7fELF pretend binary")
	srv, hits := serve(t, map[string][]byte{"/kubectl": body})
	f := &Fetcher{CacheDir: t.TempDir(), Client: srv.Client()}
	src := spec.Source{URL: srv.URL + "/kubectl", SHA256: digest(body)}
	for i := 0; i < 2; i++ {
		bins, err := f.Fetch(context.Background(), "", "amd64", src)
		if err != nil {
			t.Fatal(err)
		}
		if len(bins) != 1 || bins[0].Name != "kubectl" {
			t.Fatalf("bins = %+v", bins)
		}
		got, _ := os.ReadFile(bins[0].Path)
		if !bytes.Equal(got, body) {
			t.Fatal("content differs")
		}
	}
	if *hits != 1 {
		t.Fatalf("%d downloads, want 1 (second from the cache)", *hits)
	}
}

func TestChecksumMismatch(t *testing.T) {
	srv, _ := serve(t, map[string][]byte{"/kubelet": []byte("tampered")})
	cache := t.TempDir()
	f := &Fetcher{CacheDir: cache, Client: srv.Client()}
	want := digest([]byte("original"))
	_, err := f.Fetch(context.Background(), "", "amd64", spec.Source{URL: srv.URL + "/kubelet", SHA256: want})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Want != want || ce.Got != digest([]byte("tampered")) {
		t.Fatalf("err = %v, want *ChecksumError naming both digests", err)
	}
	left, _ := filepath.Glob(filepath.Join(cache, "sha256", "*"))
	if len(left) != 0 {
		t.Fatalf("cache kept %v after a mismatch", left)
	}
}

func TestHTTPError(t *testing.T) {
	srv, _ := serve(t, nil)
	f := &Fetcher{CacheDir: t.TempDir(), Client: srv.Client()}
	_, err := f.Fetch(context.Background(), "", "amd64", spec.Source{URL: srv.URL + "/missing", SHA256: digest(nil)})
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v", err)
	}
}

func TestLocalSources(t *testing.T) {
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "cni"), 0o755)
	os.WriteFile(filepath.Join(base, "cni", "bridge"), []byte("b"), 0o755)
	os.WriteFile(filepath.Join(base, "cni", "loopback"), []byte("l"), 0o755)
	os.WriteFile(filepath.Join(base, "kubectl"), []byte("k"), 0o755)
	f := &Fetcher{CacheDir: t.TempDir()}
	bins, err := f.Fetch(context.Background(), base, "amd64", spec.Source{URL: "file://cni"})
	if err != nil || len(bins) != 2 || bins[0].Name != "bridge" || bins[1].Name != "loopback" {
		t.Fatalf("dir: %+v %v", bins, err)
	}
	if _, err := f.Fetch(context.Background(), base, "amd64", spec.Source{URL: "file://kubectl", SHA256: digest([]byte("k"))}); err != nil {
		t.Fatalf("file with matching sha256: %v", err)
	}
	_, err = f.Fetch(context.Background(), base, "amd64", spec.Source{URL: "file://kubectl", SHA256: digest([]byte("x"))})
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("file with wrong sha256: %v", err)
	}
	if _, err := f.Fetch(context.Background(), base, "amd64", spec.Source{URL: "file://absent"}); err == nil || !strings.Contains(err.Error(), "file://absent") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestArchives(t *testing.T) {
	good := tarGz(t, []tar.Header{{Name: "./", Typeflag: tar.TypeDir}, {Name: "./crictl", Typeflag: tar.TypeReg, Mode: 0o755}},
		map[string]string{"./crictl": "crictl"})
	cases := []struct {
		name    string
		archive []byte
		err     string
	}{
		{"traversal", tarGz(t, []tar.Header{{Name: "../../etc/passwd", Typeflag: tar.TypeReg}}, map[string]string{"../../etc/passwd": "x"}), "path escapes the archive"},
		{"absolute", tarGz(t, []tar.Header{{Name: "/etc/passwd", Typeflag: tar.TypeReg}}, map[string]string{"/etc/passwd": "x"}), "path escapes the archive"},
		{"symlink", tarGz(t, []tar.Header{{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"}}, nil), "only files and directories"},
		{"hardlink", tarGz(t, []tar.Header{{Name: "hard", Typeflag: tar.TypeLink, Linkname: "../../x"}}, nil), "only files and directories"},
		{"device", tarGz(t, []tar.Header{{Name: "sda", Typeflag: tar.TypeBlock, Devmajor: 8}}, nil), "only files and directories"},
		{"huge header", tarGz(t, []tar.Header{{Name: "big", Typeflag: tar.TypeReg, Size: 1 << 40}}, nil), "over the"},
	}
	dir := t.TempDir()
	f := &Fetcher{CacheDir: t.TempDir()}
	os.WriteFile(filepath.Join(dir, "good.tar.gz"), good, 0o644)
	bins, err := f.Fetch(context.Background(), dir, "amd64", spec.Source{URL: "file://good.tar.gz"})
	if err != nil || len(bins) != 1 || bins[0].Name != "crictl" {
		t.Fatalf("good archive: %+v %v", bins, err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".tgz")
			os.WriteFile(p, c.archive, 0o644)
			_, err := f.Fetch(context.Background(), dir, "amd64", spec.Source{URL: "file://" + p})
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
			left, _ := filepath.Glob(filepath.Join(f.CacheDir, "unpacked", "*"))
			for _, l := range left {
				if !strings.HasSuffix(l, digest(good)) {
					t.Fatalf("unsafe archive left %s in the cache", l)
				}
			}
		})
	}
}
