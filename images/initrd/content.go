package initrd

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/u-root/u-root/pkg/cpio"

	"github.com/slipway-dev/slipway/node/early"
)

// mountPoints are the empty directories slipway-init mounts on.
var mountPoints = []string{"dev", "proc", "sys", "run", early.Root[1:]}

// collect gathers the archive's entries, reporting every missing piece.
func collect(o Options) (*Result, []entry, error) {
	res := &Result{KernelVersion: o.KernelVersion}
	var errs []error
	entries := []entry{
		file("init", o.Init, 0o755),
		{Path: "dev/console", Mode: cpio.S_IFCHR | 0o600, Rmajor: 5, Rmin: 1},
		dir("tmp", 0o1777),
	}
	for _, d := range mountPoints {
		entries = append(entries, dir(d, 0o755))
	}
	if err := checkStatic(o.Init); err != nil {
		errs = append(errs, err)
	}
	mods, err := moduleEntries(o, res)
	errs = append(errs, err)
	entries = append(entries, mods...)
	ign, err := ignitionEntries(o.Rootfs, res)
	errs = append(errs, err)
	entries = append(entries, ign...)
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return res, withParents(entries), nil
}

// moduleEntries carries the modules, a trimmed modules.dep and the load
// order for slipway-init.
func moduleEntries(o Options, res *Result) ([]entry, error) {
	dir, err := moduleDir(o.Rootfs, o.KernelVersion)
	if err != nil {
		return nil, err
	}
	db, err := loadModDB(dir)
	if err != nil {
		return nil, err
	}
	files, builtin, err := db.resolve(o.Modules)
	if err != nil {
		return nil, err
	}
	res.Modules, res.Builtin = files, builtin
	base := "lib/modules/" + o.KernelVersion + "/"
	var out []entry
	for _, f := range files {
		out = append(out, file(base+f, dir+"/"+f, 0o644))
	}
	out = append(out, data(base+"modules.dep", db.trimmedDep(files)), data(base+early.ModuleList, moduleList(files)))
	return out, nil
}

// ignitionEntries carries Ignition at early.IgnitionBinary with its loader
// and libraries at the paths the image has them.
func ignitionEntries(rootfs string, res *Result) ([]entry, error) {
	bin, ok := regularIn(rootfs, IgnitionPath)
	if !ok {
		return nil, fmt.Errorf("%w at %s in %s (install Debian's ignition package in the image)", ErrNoIgnition, IgnitionPath, rootfs)
	}
	libs, err := elfDeps(rootfs, bin)
	if err != nil {
		return nil, fmt.Errorf("resolving Ignition's libraries: %w", err)
	}
	out := []entry{file(strings.TrimPrefix(early.IgnitionBinary, "/"), bin, 0o755)}
	for _, l := range libs {
		st, err := os.Stat(l.Source)
		if err != nil {
			return nil, err
		}
		out = append(out, file(strings.TrimPrefix(l.Path, "/"), l.Source, uint64(st.Mode().Perm())))
		res.Libraries = append(res.Libraries, l.Path)
	}
	return out, nil
}
