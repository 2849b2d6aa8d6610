package packages

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slipway-dev/slipway/spec"
)

// cacheSchema changes whenever the way packages are built changes, so
// that old cache entries are not reused.
const cacheSchema = 2

// cache stores built packages under dir/<key>/: the package file and
// artifact.json describing it. Entries are written to a temporary
// directory and renamed into place.
type cache struct{ dir string }

func (c *cache) path(key, file string) string { return filepath.Join(c.dir, key, file) }

// get returns the artifact cached under key.
func (c *cache) get(key string) (Artifact, bool) {
	b, err := os.ReadFile(filepath.Join(c.dir, key, "artifact.json"))
	if err != nil {
		return Artifact{}, false
	}
	var a Artifact
	if json.Unmarshal(b, &a) != nil {
		return Artifact{}, false
	}
	if st, err := os.Stat(c.path(key, a.File)); err != nil || st.Size() != a.Size {
		return Artifact{}, false
	}
	return a, true
}

// put builds an entry with fn in a temporary directory and moves it into
// place under key.
func (c *cache) put(key string, fn func(tmpDir string) (Artifact, error)) (Artifact, error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return Artifact{}, fmt.Errorf("creating cache: %w", err)
	}
	tmp, err := os.MkdirTemp(c.dir, ".build-*")
	if err != nil {
		return Artifact{}, fmt.Errorf("creating cache entry: %w", err)
	}
	defer os.RemoveAll(tmp)
	a, err := fn(tmp)
	if err != nil {
		return Artifact{}, err
	}
	b, _ := json.MarshalIndent(a, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "artifact.json"), b, 0o644); err != nil {
		return Artifact{}, fmt.Errorf("writing cache entry: %w", err)
	}
	if err := os.Chmod(filepath.Join(tmp, a.File), 0o444); err != nil {
		return Artifact{}, fmt.Errorf("writing cache entry: %w", err)
	}
	dst := filepath.Join(c.dir, key)
	if err := os.Rename(tmp, dst); err != nil {
		if _, ok := c.get(key); ok { // built concurrently by another run
			return a, nil
		}
		return Artifact{}, fmt.Errorf("storing cache entry: %w", err)
	}
	return a, nil
}

// key is the digest of everything that determines the package's bytes.
func (j *job) key(o *options) (string, error) {
	signer := ""
	if o.signer != nil && (j.format == spec.FormatRPM || o.debsig) {
		signer = o.signer.Fingerprint()
	}
	in := struct {
		Schema   int
		Package  any
		Arch     string
		Format   string
		Contents []content
		Epoch    int64
		Signer   string
		Libc     bool
	}{cacheSchema, j.pkg, j.arch, j.format, j.contents, o.epoch.Unix(), signer, j.libc}
	b, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("computing cache key: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
