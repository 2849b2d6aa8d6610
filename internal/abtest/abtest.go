// Package abtest builds what tests of the node agent need: a node disk
// on a temporary directory (ab.Live: the ESP a directory, the slots
// files) and update payload layouts with random blobs.
package abtest

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/images/payload"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
	npayload "github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/signing"
)

// Disk is a fresh node disk in dir: slot a holds slotA (zeros after it)
// and boots version, blessed; slot b is empty. Slots are slotSize bytes.
func Disk(t testing.TB, dir string, slotSize int, version string, slotA []byte) *ab.Live {
	t.Helper()
	dev := &ab.Live{ESP: filepath.Join(dir, "esp"), Slots: map[string]string{}}
	for _, s := range []string{boot.SlotA, boot.SlotB} {
		dev.Slots[s] = filepath.Join(dir, "slot-"+s)
		b := make([]byte, slotSize)
		if s == boot.SlotA {
			copy(b, slotA)
		}
		if err := os.WriteFile(dev.Slots[s], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := boot.SlotEntry(boot.SlotA, version, "")
	for name, content := range map[string]string{
		boot.LoaderPath: string(boot.DefaultLoader().Marshal()), e.Path(): string(e.Marshal()),
		boot.KernelPath(boot.SlotA): "kernel " + version, boot.InitrdPath(boot.SlotA): "initrd " + version,
	} {
		if err := dev.WriteFile(name, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	return dev
}

// Payload is a payload layout and the blobs it holds.
type Payload struct {
	Dir                  string
	Slot, Kernel, Initrd []byte
}

// BuildPayload writes a payload layout of version for arch with random
// blobs, signed with key when it is set.
func BuildPayload(t testing.TB, version, kube, arch string, key []byte) Payload {
	t.Helper()
	dir := t.TempDir()
	p := Payload{Dir: filepath.Join(dir, "layout"), Slot: Random(t, 3<<20+123), Kernel: Random(t, 4096), Initrd: Random(t, 9000)}
	for n, b := range map[string][]byte{"slot": p.Slot, "kernel": p.Kernel, "initrd": p.Initrd} {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := payload.Input{
		Slot: filepath.Join(dir, "slot"), Kernel: filepath.Join(dir, "kernel"), Initrd: filepath.Join(dir, "initrd"),
		Metadata: npayload.Metadata{Name: "test", Version: version, KubernetesVersion: kube, Arch: arch, KernelVersion: "6.1.0-test", SlotFilesystem: "squashfs"},
		Epoch:    time.Unix(1700000000, 0),
	}
	if key != nil {
		s, err := signing.Parse(key, nil)
		if err != nil {
			t.Fatal(err)
		}
		in.Signer = s
	}
	if _, err := payload.Build(context.Background(), in, p.Dir); err != nil {
		t.Fatal(err)
	}
	return p
}

// Random returns n random bytes.
func Random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
