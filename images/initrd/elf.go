package initrd

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// ErrLibraryNotFound is wrapped when a shared library an executable needs
// is not in the root filesystem.
var ErrLibraryNotFound = errors.New("shared library not found")

// ErrNotStatic is wrapped when Init is dynamically linked.
var ErrNotStatic = errors.New("not a static executable")

// hostFile is a file to carry: Path inside the image and the initramfs,
// Source the regular file on the host (symlinks resolved in the image).
type hostFile struct {
	Path, Source string
}

// multiarch names Debian's library directory per ELF machine.
var multiarch = map[elf.Machine]string{
	elf.EM_X86_64:  "x86_64-linux-gnu",
	elf.EM_AARCH64: "aarch64-linux-gnu",
	elf.EM_PPC64:   "powerpc64le-linux-gnu",
	elf.EM_S390:    "s390x-linux-gnu",
	elf.EM_RISCV:   "riscv64-linux-gnu",
	elf.EM_386:     "i386-linux-gnu",
}

// libDirs are where the dynamic loader of a Debian system looks without
// ld.so.cache, in order.
func libDirs(m elf.Machine) []string {
	dirs := []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	if t, ok := multiarch[m]; ok {
		dirs = append([]string{"/lib/" + t, "/usr/lib/" + t}, dirs...)
	}
	return dirs
}

// elfDeps returns the program interpreter and the shared libraries
// (DT_NEEDED, recursively) of bin, a host file, resolved inside rootfs,
// sorted by path. A static executable needs nothing. Every missing library
// is reported in one error.
func elfDeps(rootfs, bin string) ([]hostFile, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", bin, err)
	}
	defer f.Close()
	interp, err := interpreter(f)
	if err != nil || interp == "" {
		return nil, err
	}
	src, ok := regularIn(rootfs, interp)
	if !ok {
		return nil, fmt.Errorf("%w: %s needs the loader %s", ErrLibraryNotFound, bin, interp)
	}
	r := &libResolver{rootfs: rootfs, machine: f.Machine, class: f.Class, seen: map[string]bool{}}
	r.out = []hostFile{{Path: interp, Source: src}}
	r.seen[path.Base(interp)] = true // libc names the loader again
	r.needs(f, bin)
	if len(r.missing) > 0 {
		return nil, fmt.Errorf("%w in %s (searched %s): %s", ErrLibraryNotFound, rootfs, strings.Join(libDirs(f.Machine), " "), strings.Join(r.missing, ", "))
	}
	sort.Slice(r.out, func(i, j int) bool { return r.out[i].Path < r.out[j].Path })
	return r.out, nil
}

type libResolver struct {
	rootfs  string
	machine elf.Machine
	class   elf.Class
	seen    map[string]bool
	out     []hostFile
	missing []string
}

// needs adds the libraries f needs, and theirs.
func (r *libResolver) needs(f *elf.File, name string) {
	libs, err := f.ImportedLibraries()
	if err != nil {
		r.missing = append(r.missing, fmt.Sprintf("(reading %s: %v)", name, err))
		return
	}
	for _, lib := range libs {
		if r.seen[lib] {
			continue
		}
		r.seen[lib] = true
		hf, lf := r.find(lib)
		if lf == nil {
			r.missing = append(r.missing, lib)
			continue
		}
		r.out = append(r.out, hf)
		r.needs(lf, hf.Path)
		lf.Close()
	}
}

// find looks for a library of the same machine and class in libDirs.
func (r *libResolver) find(lib string) (hostFile, *elf.File) {
	for _, dir := range libDirs(r.machine) {
		p := path.Join(dir, lib)
		src, ok := regularIn(r.rootfs, p)
		if !ok {
			continue
		}
		f, err := elf.Open(src)
		if err != nil {
			continue
		}
		if f.Machine == r.machine && f.Class == r.class {
			return hostFile{Path: p, Source: src}, f
		}
		f.Close()
	}
	return hostFile{}, nil
}

// interpreter returns the PT_INTERP path, "" for a static executable.
func interpreter(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return "", fmt.Errorf("reading the program interpreter: %w", err)
		}
		return strings.TrimRight(string(data), "\x00"), nil
	}
	return "", nil
}

// checkStatic verifies that bin is an ELF executable without a program
// interpreter, as PID 1 of an initramfs without libraries must be.
func checkStatic(bin string) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("no slipway-init binary: %w", err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("%w: %s is not an ELF file: %v", ErrNotStatic, bin, err)
	}
	defer f.Close()
	interp, err := interpreter(f)
	if err != nil {
		return err
	}
	if interp != "" {
		return fmt.Errorf("%w: %s is dynamically linked (interpreter %s); build it with CGO_ENABLED=0", ErrNotStatic, bin, interp)
	}
	return nil
}
