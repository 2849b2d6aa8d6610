package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/images/payload"
	npayload "github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/signing"
)

// testPayload writes a signed payload layout of random blobs and the
// armored public key that verifies it.
func testPayload(t *testing.T) (layout, pubKey string) {
	t.Helper()
	dir := t.TempDir()
	in := payload.Input{Metadata: npayload.Metadata{Name: "cli", Version: "2.0.0", KubernetesVersion: "1.33.0",
		Arch: "amd64", KernelVersion: "6.1.0-test", SlotFilesystem: "squashfs"}, Epoch: time.Unix(1700000000, 0)}
	for _, f := range []struct {
		dst  *string
		name string
		n    int
	}{{&in.Slot, "slot", 70000}, {&in.Kernel, "vmlinuz", 3000}, {&in.Initrd, "initrd", 5000}} {
		b := make([]byte, f.n)
		rand.Read(b)
		*f.dst = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key, err := signing.Generate("cli", "cli@example.invalid", in.Epoch.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if in.Signer, err = signing.Parse(key, nil); err != nil {
		t.Fatal(err)
	}
	pubKey = filepath.Join(dir, "key.asc")
	if err := os.WriteFile(pubKey, in.Signer.PublicKeyArmored(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := payload.Build(context.Background(), in, filepath.Join(dir, "layout"))
	if err != nil {
		t.Fatal(err)
	}
	return res.Dir, pubKey
}

func TestPayloadInspect(t *testing.T) {
	layout, key := testPayload(t)
	out, errOut, code := run(t, "payload", "inspect", layout, "--key", key)
	if code != 0 || !strings.Contains(out, "cli 2.0.0 (Kubernetes 1.33.0), amd64") || !strings.Contains(out, "signed, verified") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = run(t, "payload", "inspect", layout+":2.0.0", "--json")
	var info payload.Info
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || !info.Signed || info.Verified || len(info.Blobs) != 4 {
		t.Fatalf("--json: exit %d %s", code, out)
	}
}

// TestPayloadInvalidExits2: flags missing, a bad signature and a
// payload that does not match its metadata exit 2.
func TestPayloadInvalidExits2(t *testing.T) {
	layout, _ := testPayload(t)
	_, other := testPayload(t)
	for name, args := range map[string][]string{
		"push without --from": {"payload", "push", "127.0.0.1:1/p:1"},
		"push from a file":    {"payload", "push", "--from", other, "127.0.0.1:1/p:1"},
		"inspect, wrong key":  {"payload", "inspect", layout, "--key", other},
		"inspect, no ref":     {"payload", "inspect"},
	} {
		if _, errOut, code := run(t, args...); code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", name, code, errOut)
		}
	}
	var idx struct{ Manifests []struct{ Digest string } }
	b, _ := os.ReadFile(filepath.Join(layout, "index.json"))
	json.Unmarshal(b, &idx)
	manifest := filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(idx.Manifests[0].Digest, "sha256:"))
	raw, _ := os.ReadFile(manifest)
	if err := os.WriteFile(manifest, []byte(strings.Replace(string(raw), `"size":3000`, `"size":3001`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "payload", "inspect", layout); code != 2 || !strings.Contains(errOut, "does not match") {
		t.Errorf("altered manifest: exit %d, want 2\n%s", code, errOut)
	}
}
