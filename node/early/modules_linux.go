//go:build linux

package early

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/u-root/u-root/pkg/kmodule"
	"golang.org/x/sys/unix"
)

// loadModules loads, in order, the modules the initramfs lists for the
// running kernel. Modules already loaded are fine; a module whose device
// is absent (ENODEV, such as a CPU-specific crypto driver) is reported,
// not fatal.
func (b *boot) loadModules(context.Context) (string, error) {
	kver, err := kernelRelease()
	if err != nil {
		return "", err
	}
	dir := filepath.Join("/lib/modules", kver)
	data, err := os.ReadFile(filepath.Join(dir, ModuleList))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no module list for the running kernel %s (the initramfs has modules for: %s)", kver, moduleKernels())
	}
	if err != nil {
		return "", err
	}
	var loaded, nodev []string
	for _, rel := range ParseModuleList(data) {
		err := loadModule(filepath.Join(dir, rel))
		switch {
		case errors.Is(err, unix.ENODEV):
			nodev = append(nodev, ModuleName(rel))
		case err != nil:
			return "", fmt.Errorf("loading %s: %w", rel, err)
		default:
			loaded = append(loaded, ModuleName(rel))
		}
	}
	details := fmt.Sprintf("%d for %s: %s", len(loaded), kver, strings.Join(loaded, " "))
	if len(nodev) > 0 {
		details += "; no device for " + strings.Join(nodev, " ")
	}
	return details, nil
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := kmodule.FileInit(f, "", 0); err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	return nil
}

func kernelRelease() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("reading the kernel release: %w", err)
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

func moduleKernels() string {
	entries, _ := os.ReadDir("/lib/modules")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return orNone(strings.Join(names, ", "))
}
