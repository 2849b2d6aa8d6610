package initrd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-dev/slipway/node/early"
)

// ErrNoModules is wrapped when a kernel's modules directory or its
// modules.dep is missing.
var ErrNoModules = errors.New("no kernel modules")

// modDB is what depmod wrote for one kernel.
type modDB struct {
	dir     string              // host path of lib/modules/<kver>
	deps    map[string][]string // module file (relative to dir) → dependencies, as listed
	files   map[string]string   // module name → file
	builtin map[string]bool     // names of modules built into the kernel
	aliases map[string][]string // alias → module names
	softPre map[string][]string // module name → names or aliases loaded before it
}

// loadModDB reads modules.dep (required), modules.builtin,
// modules.alias and modules.softdep from dir.
func loadModDB(dir string) (*modDB, error) {
	db := &modDB{dir: dir, files: map[string]string{}}
	var err error
	if db.deps, err = readWith(dir, "modules.dep", true, parseDep); err != nil {
		return nil, err
	}
	for f := range db.deps {
		db.files[early.ModuleName(f)] = f
	}
	if db.builtin, err = readWith(dir, "modules.builtin", false, parseBuiltin); err != nil {
		return nil, err
	}
	if db.aliases, err = readWith(dir, "modules.alias", false, parseAlias); err != nil {
		return nil, err
	}
	if db.softPre, err = readWith(dir, "modules.softdep", false, parseSoftdep); err != nil {
		return nil, err
	}
	return db, nil
}

// readWith parses one depmod file; an optional missing file parses as
// empty.
func readWith[T any](dir, name string, required bool, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) && !required {
		return parse(strings.NewReader(""))
	}
	if errors.Is(err, os.ErrNotExist) {
		var zero T
		return zero, fmt.Errorf("%w: no %s in %s (run depmod in the image)", ErrNoModules, name, dir)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return v, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	return v, nil
}

// parseDep reads modules.dep: "kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko".
func parseDep(r io.Reader) (map[string][]string, error) {
	deps := map[string][]string{}
	err := eachLine(r, func(line string) {
		mod, rest, ok := strings.Cut(line, ":")
		if ok {
			deps[strings.TrimSpace(mod)] = strings.Fields(rest)
		}
	})
	return deps, err
}

// parseBuiltin reads modules.builtin: one module file per line.
func parseBuiltin(r io.Reader) (map[string]bool, error) {
	b := map[string]bool{}
	err := eachLine(r, func(line string) { b[early.ModuleName(line)] = true })
	return b, err
}

// parseAlias reads modules.alias: "alias crc32c crc32c_intel".
func parseAlias(r io.Reader) (map[string][]string, error) {
	a := map[string][]string{}
	err := eachLine(r, func(line string) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "alias" {
			a[f[1]] = append(a[f[1]], early.ModuleName(f[2]))
		}
	})
	return a, err
}

// parseSoftdep reads modules.softdep: "softdep ext4 pre: crc32c post: x";
// only pre: matters to loading.
func parseSoftdep(r io.Reader) (map[string][]string, error) {
	s := map[string][]string{}
	err := eachLine(r, func(line string) {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "softdep" {
			return
		}
		mod, pre := early.ModuleName(f[1]), false
		for _, w := range f[2:] {
			switch w {
			case "pre:":
				pre = true
			case "post:":
				pre = false
			default:
				if pre {
					s[mod] = append(s[mod], w)
				}
			}
		}
	})
	return s, err
}

func eachLine(r io.Reader, f func(string)) error {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" && !strings.HasPrefix(line, "#") {
			f(line)
		}
	}
	return s.Err()
}
