//go:build linux

package early

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// espMount is where the ESP is mounted on first boot.
const espMount = "/run/esp"

// mountESP mounts the ESP read-write at espMount and returns that path,
// or "" when the disk has no ESP (a config may still come from elsewhere).
func (b *boot) mountESP() (string, error) {
	dev, err := b.parts.Device(LabelESP)
	if err != nil {
		return "", nil
	}
	if err := mountAt(dev, espMount, "vfat", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "umask=0077"); err != nil {
		return "", err
	}
	return espMount, nil
}

func unmountESP(esp string) error {
	if esp == "" {
		return nil
	}
	unix.Sync()
	if err := unix.Unmount(esp, 0); err != nil {
		return fmt.Errorf("unmounting the ESP: %w", err)
	}
	return nil
}

// removeESPConfig deletes the config from the ESP (it may hold keys) and
// syncs, and says what it did. A failure is reported, not fatal: first
// boot already completed.
func removeESPConfig(p string) string {
	err := os.Remove(p)
	if err == nil {
		err = syncDir(filepath.Dir(p))
	}
	rel := strings.TrimPrefix(p, espMount+"/")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("WARNING: could not remove %s from the ESP: %v", rel, err)
	}
	return "removed " + rel + " from the ESP"
}

// saveIgnitionLog keeps the sanitized log on STATE, readable by root only.
// Best effort: a log must not fail the boot.
func saveIgnitionLog(lines []string) {
	p := filepath.Join(Root, "var", IgnitionLog)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return
	}
	writeFileSync(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}
