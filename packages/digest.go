package packages

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// digester hashes input files once per run, however many packages and
// formats use them, and remembers digests across runs in the cache keyed
// by the file's identity and change times (as git's index and ccache do),
// so an unchanged rebuild reads no input.
type digester struct {
	mu    sync.Mutex
	path  string            // persisted memo; "" keeps it in memory only
	known map[string]string // stat key → sha256, from earlier runs
	used  map[string]string // stat key → sha256, this run
}

func newDigester(cacheDir string) *digester {
	d := &digester{known: map[string]string{}, used: map[string]string{}}
	if cacheDir == "" {
		return d
	}
	d.path = filepath.Join(cacheDir, "digests.json")
	if b, err := os.ReadFile(d.path); err == nil {
		_ = json.Unmarshal(b, &d.known) // a damaged memo only costs hashing
	}
	return d
}

// statKey identifies a file's content without reading it: path, inode,
// size, and modification and change times in nanoseconds.
func statKey(p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("hashing input: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "", nil
	}
	return fmt.Sprintf("%s|%d|%d|%d|%d", p, sys.Ino, st.Size(), st.ModTime().UnixNano(),
		sys.Ctim.Sec*1e9+sys.Ctim.Nsec), nil
}

func (d *digester) file(p string) (string, error) {
	key, err := statKey(p)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	sum, ok := d.used[key]
	if !ok && key != "" {
		sum, ok = d.known[key]
	}
	d.mu.Unlock()
	if !ok {
		if sum, err = fileutil.SHA256(p); err != nil {
			return "", err
		}
	}
	if key != "" {
		d.mu.Lock()
		d.used[key] = sum
		d.mu.Unlock()
	}
	return sum, nil
}

// save persists the digests of this run's inputs (temp file + rename).
func (d *digester) save() error {
	if d.path == "" {
		return nil
	}
	d.mu.Lock()
	b, err := json.Marshal(d.used)
	d.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return err
	}
	return fileutil.WriteAtomic(d.path, b, 0o644)
}
