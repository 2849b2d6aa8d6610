package oci

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/slipway-dev/slipway/internal/fileutil"
)

// layerCacheVersion changes when the way layers are written changes, so
// old cache entries are not mistaken for current ones.
const layerCacheVersion = "slipway-layer-v1"

// WithLayerCache makes LayerFromFiles (and LayerFromDir) keep the layers
// they build in dir, keyed by their inputs: paths, types, modes, owners,
// link targets, the sha256 of each file's content, and the epoch. An
// unchanged set of files is then hashed, not tarred and compressed again.
func WithLayerCache(dir string) Option {
	return func(o *options) error {
		o.layerCache = dir
		return nil
	}
}

// cacheRecord is what dir/KEY.json holds.
type cacheRecord struct {
	Digest v1.Hash `json:"digest"`
	DiffID v1.Hash `json:"diffID"`
	Size   int64   `json:"size"`
}

// layerKey hashes the planned entries and the epoch.
func layerKey(entries []File, o *options) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n", layerCacheVersion, o.epoch.Unix())
	for _, f := range entries {
		sum := sha256.Sum256(f.Contents)
		content := hex.EncodeToString(sum[:])
		if f.Source != "" {
			var err error
			if content, err = fileutil.SHA256(f.Source); err != nil {
				return "", fmt.Errorf("reading source: %w", err)
			}
		}
		line, _ := json.Marshal([]any{f.Path, f.Type, uint32(f.Mode), f.UID, f.GID, f.Target, f.Source != "", content})
		h.Write(append(line, '\n'))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cachedLayer returns the layer stored under key, or nil.
func cachedLayer(dir, key string) v1.Layer {
	b, err := os.ReadFile(filepath.Join(dir, key+".json"))
	if err != nil {
		return nil
	}
	var rec cacheRecord
	if json.Unmarshal(b, &rec) != nil {
		return nil
	}
	p := filepath.Join(dir, rec.Digest.Hex+".tar.gz")
	if st, err := os.Stat(p); err != nil || st.Size() != rec.Size {
		return nil
	}
	return &fileLayer{path: p, rec: rec}
}

// storeLayer writes l's compressed bytes and record under key.
func storeLayer(dir, key string, l *memLayer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := fileutil.WriteAtomic(filepath.Join(dir, l.digest.Hex+".tar.gz"), l.gz, 0o644); err != nil {
		return err
	}
	rec, _ := json.Marshal(cacheRecord{Digest: l.digest, DiffID: l.diffID, Size: int64(len(l.gz))})
	return fileutil.WriteAtomic(filepath.Join(dir, key+".json"), rec, 0o644)
}

// fileLayer is a cached layer read from its compressed file.
type fileLayer struct {
	path string
	rec  cacheRecord
}

var _ v1.Layer = (*fileLayer)(nil)

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.rec.Digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.rec.DiffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.rec.Size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }

// Uncompressed returns the tar stream.
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return readCloser{zr, f}, nil
}

type readCloser struct {
	io.Reader
	f *os.File
}

func (r readCloser) Close() error { return r.f.Close() }
