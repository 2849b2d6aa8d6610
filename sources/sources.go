// Package sources fetches the binaries of a component for one
// architecture: a local file, directory or archive (file://), or a download
// (https://) verified against its sha256. Downloads and unpacked archives
// live in a content-addressed cache keyed by digest, so a later run reuses
// them without touching the network.
package sources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/internal/fileutil"
	"github.com/slipway-dev/slipway/spec"
)

// Binary is one file of a component, ready to package.
type Binary struct {
	// Name is the file's base name, e.g. "kubectl" or "bridge".
	Name string
	// Path is where the file is on this machine.
	Path string
}

// ChecksumError reports content that does not match its declared digest.
type ChecksumError struct {
	URL       string
	Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch for %s: spec says sha256 %s, content is %s", e.URL, e.Want, e.Got)
}

// DefaultCacheDir is the content-addressed cache every command shares: $XDG_CACHE_HOME/slipway, or ~/.cache/slipway.
func DefaultCacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "slipway")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "slipway")
	}
	return filepath.Join(os.TempDir(), "slipway-cache")
}

// Fetcher resolves sources. CacheDir holds downloads under
// sha256/<digest> and unpacked archives under unpacked/<digest>/.
type Fetcher struct {
	// CacheDir is the content-addressed cache, e.g. $XDG_CACHE_HOME/slipway.
	CacheDir string
	// Client downloads https:// sources; nil means http.DefaultClient.
	Client *http.Client
	// OCIOptions are passed to oci.Open for oci:// sources (credentials,
	// insecure registries).
	OCIOptions []oci.Option
}

// Fetch returns the binaries of src for arch, sorted by name. Relative
// file:// and oci:// paths resolve against baseDir (the spec file's
// directory); arch picks the image of an oci:// index.
func (f *Fetcher) Fetch(ctx context.Context, baseDir, arch string, src spec.Source) ([]Binary, error) {
	switch {
	case strings.HasPrefix(src.URL, "oci://"):
		return f.fromImage(ctx, baseDir, arch, src)
	case strings.HasPrefix(src.URL, "file://"):
		return f.local(baseDir, src)
	case strings.HasPrefix(src.URL, "https://"):
		p, err := f.download(ctx, src)
		if err != nil {
			return nil, err
		}
		return f.file(p, src.URL)
	}
	return nil, fmt.Errorf("source %q: unsupported scheme (use file://, https:// or oci://)", src.URL)
}

// LocalPath resolves a file:// URL against baseDir.
func LocalPath(baseDir, url string) string {
	p := strings.TrimPrefix(url, "file://")
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	return p
}

func (f *Fetcher) local(baseDir string, src spec.Source) ([]Binary, error) {
	p := LocalPath(baseDir, src.URL)
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("reading source %s: %w", src.URL, err)
	}
	if st.IsDir() {
		if src.SHA256 != "" {
			return nil, fmt.Errorf("source %s: sha256 cannot be checked on a directory; point at a file or an archive", src.URL)
		}
		return dirBinaries(p)
	}
	if src.SHA256 != "" {
		got, err := fileutil.SHA256(p)
		if err != nil {
			return nil, err
		}
		if got != src.SHA256 {
			return nil, &ChecksumError{URL: src.URL, Want: src.SHA256, Got: got}
		}
	}
	return f.file(p, src.URL)
}

// file returns a single binary, or the content of an archive.
func (f *Fetcher) file(p, url string) ([]Binary, error) {
	if isArchive(url) {
		return f.unpack(p)
	}
	name := filepath.Base(strings.TrimPrefix(url, "file://"))
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		name = url[i+1:]
	}
	return []Binary{{Name: name, Path: p}}, nil
}

func isArchive(url string) bool {
	return strings.HasSuffix(url, ".tar.gz") || strings.HasSuffix(url, ".tgz")
}

// dirBinaries lists the regular files directly inside dir.
func dirBinaries(dir string) ([]Binary, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var out []Binary
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		st, err := os.Stat(p) // follows links: packages hold the file itself
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		out = append(out, Binary{Name: e.Name(), Path: p})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("source directory %s holds no files", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// download fetches an https:// source into the cache unless it is there.
func (f *Fetcher) download(ctx context.Context, src spec.Source) (string, error) {
	dst := filepath.Join(f.CacheDir, "sha256", src.SHA256)
	if got, err := fileutil.SHA256(dst); err == nil && got == src.SHA256 {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("creating cache: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", src.URL, err)
	}
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", src.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("downloading %s: server answered %s", src.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", src.URL, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", src.URL, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != src.SHA256 {
		return "", &ChecksumError{URL: src.URL, Want: src.SHA256, Got: got}
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("caching %s: %w", src.URL, err)
	}
	return dst, nil
}

var errUnsafeEntry = errors.New("unsafe archive entry")
