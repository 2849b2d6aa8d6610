package disk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/node/boot"
)

// dirEntries lists what a directory holds, temp files included.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestBuildSlotTooSmall(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	in := fixture(t)
	writeRandom(t, filepath.Join(in.Rootfs, "usr/bin/big"), 3, 3<<20)
	in.Layout.Slot = 2 * MiB
	dir := t.TempDir()
	_, err := Build(context.Background(), filepath.Join(dir, "disk.raw"), in)
	var se *SlotSizeError
	if !errors.As(err, &se) || se.Slot != boot.SlotA || se.SlotSize != 2*MiB || se.Size <= 3<<20 {
		t.Fatalf("err = %v, want a SlotSizeError for slot a", err)
	}
	for _, want := range []string{"slot a: squashfs is 3.0 MiB (4 MiB), the slot is 2 MiB (2 MiB)", "raise spec.os.disk.slot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestBuildCancelLeavesNothing(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	in := fixture(t)
	// Text compresses, slowly at zstd level 19: mksquashfs runs for
	// seconds, so the cancel lands while it works.
	writeText(t, filepath.Join(in.Rootfs, "usr/share/big.txt"), 32<<20)
	in.Layout.Slot = 40 * MiB
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Build(ctx, filepath.Join(dir, "disk.raw"), in, WithZstdLevel(19), WithProcessors(1))
		done <- err
	}()
	// Cancel once mksquashfs has started writing the slot filesystem.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		m, _ := filepath.Glob(filepath.Join(dir, ".disk.raw.slot-*"))
		if len(m) == 1 {
			if st, err := os.Stat(m[0]); err == nil && st.Size() > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mksquashfs never started")
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestBuildReportsEveryInputProblem(t *testing.T) {
	dir := t.TempDir()
	_, err := Build(context.Background(), filepath.Join(dir, "disk.raw"), Input{
		Version: "1 2", Arch: "s390x", SlotFS: "ext4", Kernel: dir,
		Layout:   Layout{ESP: 8 * MiB, Slot: 1000},
		Ignition: []byte("{}"),
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"layout.esp: 8 MiB is below the minimum of 40 MiB", "layout.slot: 1000 bytes is not a whole number of MiB",
		`arch: "s390x" is not supported`, `slotFS: "ext4"`, `version: "1 2" must be one word`,
		"rootfs: required", "kernel: " + dir + " is not a regular file", "initrd: required", "bootloader: required",
		"ignition: ignition.version",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestBuildESPTooSmall(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	in := fixture(t)
	writeRandom(t, in.Initrd, 5, 41<<20)
	in.Layout.ESP = 40 * MiB
	dir := t.TempDir()
	_, err := Build(context.Background(), filepath.Join(dir, "disk.raw"), in)
	if err == nil || !strings.Contains(err.Error(), "the ESP is 40 MiB; raise spec.os.disk.esp") {
		t.Fatalf("err = %v", err)
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}
