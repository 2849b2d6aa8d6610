package initrd

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/slipway-dev/slipway/node/early"
)

// ErrModuleNotFound is wrapped when a requested module is neither a file
// nor built into the kernel.
var ErrModuleNotFound = errors.New("module not found")

// resolve returns the module files to load for names, each after its
// dependencies (modules.dep) and its pre soft dependencies
// (modules.softdep, through modules.alias), and the requested names the
// kernel has built in. Every unknown name is reported in one error.
func (db *modDB) resolve(names []string) (order, builtin []string, err error) {
	r := &resolver{db: db, seen: map[string]bool{}}
	var missing []string
	for _, n := range names {
		name := early.ModuleName(n)
		if f, ok := db.files[name]; ok {
			r.visit(f)
		} else if db.builtin[name] {
			builtin = append(builtin, name)
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("%w in %s/modules.dep: %s", ErrModuleNotFound, db.dir, strings.Join(missing, ", "))
	}
	return r.order, builtin, nil
}

type resolver struct {
	db    *modDB
	seen  map[string]bool
	order []string
}

func (r *resolver) visit(file string) {
	if r.seen[file] {
		return
	}
	r.seen[file] = true
	for _, soft := range r.db.softPre[early.ModuleName(file)] {
		for _, f := range r.db.lookupSoft(soft) {
			r.visit(f)
		}
	}
	deps := r.db.deps[file]
	for i := len(deps) - 1; i >= 0; i-- { // modprobe loads the list backwards
		r.visit(deps[i])
	}
	r.order = append(r.order, file)
}

// lookupSoft finds the module files behind a soft dependency, which names
// a module or an alias. Built-in modules need no file; unknown names are
// skipped, as modprobe does.
func (db *modDB) lookupSoft(name string) []string {
	if f, ok := db.files[early.ModuleName(name)]; ok {
		return []string{f}
	}
	var out []string
	for _, m := range db.aliases[name] {
		if f, ok := db.files[m]; ok {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// trimmedDep writes modules.dep for the included modules only, sorted.
func (db *modDB) trimmedDep(files []string) []byte {
	sorted := append([]string(nil), files...)
	sort.Strings(sorted)
	var b strings.Builder
	for _, f := range sorted {
		b.WriteString(f + ":")
		for _, d := range db.deps[f] {
			b.WriteString(" " + d)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
