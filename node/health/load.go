package health

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Load reads the check files (*.yaml) of dirs and merges them, with
// systemd drop-in semantics: a file in a later dir replaces the file of
// the same name in an earlier one; an empty file, or a symlink to
// /dev/null, masks it (no checks from that name); files are merged in
// name order (see Config for how). Missing dirs are skipped, as are
// entries not named *.yaml and directories.
//
// Files are parsed strictly: an unknown field or a bad value is an error
// naming the file. Load reports the problems of every file at once, and
// returns the Config merged from the valid files along with the error.
func Load(dirs ...string) (Config, error) {
	var listed [][]candidate
	for _, d := range dirs {
		c, err := listDir(d)
		if err != nil {
			return Config{}, err
		}
		listed = append(listed, c)
	}
	var (
		files   []checkFile
		sources []string
		errs    []error
	)
	for _, c := range pick(listed) {
		data, masked, err := readCheck(c.path)
		switch {
		case err != nil:
			errs = append(errs, err)
			continue
		case masked:
			continue
		}
		f, err := parseFile(c.path, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files, sources = append(files, f), append(sources, c.path)
	}
	return merge(files, sources), errors.Join(errs...)
}

// candidate is one *.yaml entry of a check dir.
type candidate struct{ name, path string }

// pick applies drop-in overriding to the listings of dirs, earliest
// first: the last dir holding a name wins. The result is sorted by name.
func pick(listed [][]candidate) []candidate {
	byName := map[string]candidate{}
	for _, cs := range listed {
		for _, c := range cs {
			byName[c.name] = c
		}
	}
	out := make([]candidate, 0, len(byName))
	for _, c := range byName {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// listDir lists the *.yaml files and symlinks of dir; a missing dir
// lists nothing.
func listDir(dir string) ([]candidate, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing health checks: %w", err)
	}
	var out []candidate
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		out = append(out, candidate{name: e.Name(), path: filepath.Join(dir, e.Name())})
	}
	return out, nil
}

// readCheck reads a check file; masked is set for an empty (or
// whitespace-only) file and for a symlink to /dev/null.
func readCheck(path string) (data []byte, masked bool, err error) {
	if target, err := os.Readlink(path); err == nil && filepath.Clean(target) == os.DevNull {
		return nil, true, nil
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("reading health checks: %w", err)
	}
	return data, len(bytes.TrimSpace(data)) == 0, nil
}
