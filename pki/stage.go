package pki

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// File modes of what the PKI dir holds.
const (
	modeKey    fs.FileMode = 0o600 // private keys and kubeconfigs (they embed keys)
	modeCert   fs.FileMode = 0o644 // certificates and public keys
	modeDir    fs.FileMode = 0o700
	tempPrefix             = ".slipway-pki-"
)

// stage collects the files a run writes and removes; commit applies them
// all at the end, so a failed run changes nothing.
type stage struct {
	mu      sync.Mutex
	files   map[string]stagedFile
	removes []string
}

type stagedFile struct {
	data []byte
	mode fs.FileMode
}

func newStage() *stage { return &stage{files: map[string]stagedFile{}} }

// put stages data for rel (a slash path relative to the PKI dir).
func (s *stage) put(rel string, data []byte, mode fs.FileMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[rel] = stagedFile{data: data, mode: mode}
}

// remove stages the removal of rel.
func (s *stage) remove(rel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removes = append(s.removes, rel)
}

// paths lists the staged files, sorted.
func (s *stage) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.files))
	for p := range s.files {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// commit writes every staged file to a temp file beside its final name,
// then renames them all into place and applies removals. If writing a temp
// file fails, every temp file is removed and dir is unchanged.
func (s *stage) commit(ctx context.Context, dir string, workers int) error {
	paths := s.paths()
	created, err := makeDirs(dir, paths)
	if err != nil {
		return err
	}
	temps := make([]string, len(paths))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, rel := range paths {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var err error
			temps[i], err = writeTemp(filepath.Join(dir, filepath.FromSlash(rel)), s.files[rel])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		removeAll(temps)
		removeAll(created)
		return err
	}
	for i, rel := range paths {
		if err := os.Rename(temps[i], filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			removeAll(temps[i:])
			return fmt.Errorf("renaming %s into place: %w", rel, err)
		}
	}
	for _, rel := range s.removes {
		err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", rel, err)
		}
	}
	return nil
}

// writeTemp writes f to a synced temp file in path's directory and returns
// the temp file's name.
func writeTemp(path string, f stagedFile) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return "", fmt.Errorf("creating temp file for %s: %w", path, err)
	}
	err = tmp.Chmod(f.mode)
	if err == nil {
		_, err = tmp.Write(f.data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return tmp.Name(), nil
}

// makeDirs creates the missing parent directories of paths under dir and
// returns the ones it created, deepest first, for removal on failure.
func makeDirs(dir string, paths []string) ([]string, error) {
	var created []string
	for _, rel := range paths {
		var chain []string
		for d := filepath.Dir(filepath.Join(dir, filepath.FromSlash(rel))); ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
				break
			}
			chain = append(chain, d)
		}
		for i := len(chain) - 1; i >= 0; i-- {
			if err := os.Mkdir(chain[i], modeDir); err != nil && !errors.Is(err, fs.ErrExist) {
				removeAll(created)
				return nil, fmt.Errorf("creating directory: %w", err)
			} else if err == nil {
				created = append([]string{chain[i]}, created...)
			}
		}
	}
	return created, nil
}

// removeAll removes each path, ignoring errors (directories only when
// empty).
func removeAll(paths []string) {
	for _, p := range paths {
		if p != "" {
			os.Remove(p)
		}
	}
}

// readOptional reads dir/rel; a missing file is (nil, nil).
func readOptional(dir, rel string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	return b, nil
}
