package initrd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// ErrNoKernel is wrapped when a root filesystem holds no kernel.
var ErrNoKernel = errors.New("no kernel")

// Kernel is a kernel found in a root filesystem.
type Kernel struct {
	// Version is the kernel release, the name of its modules directory.
	Version string
	// Path is the kernel image on the host:
	// ROOTFS/usr/lib/modules/<version>/vmlinuz, else
	// ROOTFS/boot/vmlinuz-<version>.
	Path string
}

// FindKernel returns the one kernel of rootfs. It is an error
// (wrapping ErrNoKernel) when there is none, and an error naming them when
// there are several.
func FindKernel(rootfs string) (Kernel, error) {
	found := map[string]string{}
	for _, v := range moduleVersions(rootfs) {
		if p, ok := regularIn(rootfs, "usr/lib/modules/"+v+"/vmlinuz"); ok {
			found[v] = p
		}
	}
	boot, _ := filepath.Glob(filepath.Join(rootfs, "boot", "vmlinuz-*"))
	for _, b := range boot {
		v := strings.TrimPrefix(filepath.Base(b), "vmlinuz-")
		if _, ok := found[v]; !ok {
			if p, ok := regularIn(rootfs, "boot/vmlinuz-"+v); ok {
				found[v] = p
			}
		}
	}
	switch versions := sortedKeys(found); len(versions) {
	case 0:
		return Kernel{}, fmt.Errorf("%w in %s: no usr/lib/modules/*/vmlinuz or boot/vmlinuz-*", ErrNoKernel, rootfs)
	case 1:
		return Kernel{Version: versions[0], Path: found[versions[0]]}, nil
	default:
		return Kernel{}, fmt.Errorf("several kernels in %s: %s", rootfs, strings.Join(versions, ", "))
	}
}

// moduleVersions lists the kernel releases with a modules.dep under
// lib/modules or usr/lib/modules (one directory when /lib is a symlink).
func moduleVersions(rootfs string) []string {
	set := map[string]string{}
	for _, base := range []string{"lib/modules", "usr/lib/modules"} {
		dir, err := securejoin.SecureJoin(rootfs, base)
		if err != nil {
			continue
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "modules.dep")); err == nil {
				set[e.Name()] = dir
			}
		}
	}
	return sortedKeys(set)
}

// moduleDir returns the host path of lib/modules/<kver> in rootfs.
func moduleDir(rootfs, kver string) (string, error) {
	for _, base := range []string{"usr/lib/modules/", "lib/modules/"} {
		if dir, err := securejoin.SecureJoin(rootfs, base+kver); err == nil {
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				return dir, nil
			}
		}
	}
	return "", fmt.Errorf("%w: no lib/modules/%s in %s", ErrNoModules, kver, rootfs)
}

// regularIn resolves rel inside rootfs and reports whether it is a file.
func regularIn(rootfs, rel string) (string, bool) {
	p, err := securejoin.SecureJoin(rootfs, rel)
	if err != nil {
		return "", false
	}
	st, err := os.Stat(p)
	return p, err == nil && st.Mode().IsRegular()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
