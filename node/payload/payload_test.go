package payload_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	ipayload "github.com/slipway-dev/slipway/images/payload"
	"github.com/slipway-dev/slipway/internal/testregistry"
	"github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/signing"
)

var epoch = time.Unix(1700000000, 0).UTC()

// fixture is a payload layout built from random blobs by images/payload.
type fixture struct {
	dir   string
	files map[string][]byte
	res   *ipayload.Result
}

func build(t *testing.T, signer *signing.Signer) fixture {
	t.Helper()
	src := t.TempDir()
	f := fixture{dir: filepath.Join(t.TempDir(), "layout"), files: map[string][]byte{
		payload.BlobSlot: random(t, 1<<20+17), payload.BlobKernel: random(t, 5000), payload.BlobInitrd: random(t, 7000),
	}}
	for n, b := range f.files {
		if err := os.WriteFile(filepath.Join(src, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := ipayload.Build(context.Background(), ipayload.Input{
		Slot: filepath.Join(src, "slot"), Kernel: filepath.Join(src, "kernel"), Initrd: filepath.Join(src, "initrd"),
		Metadata: payload.Metadata{Name: "test", Version: "1.2.0", KubernetesVersion: "1.33.0", Arch: "amd64",
			KernelVersion: "6.1.0-test", SlotFilesystem: "squashfs", Cmdline: "console=ttyS0"},
		Signer: signer, Epoch: epoch,
	}, f.dir)
	if err != nil {
		t.Fatal(err)
	}
	f.res = res
	return f
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	keysOnce sync.Once
	keys     [2]*signing.Signer
)

// testKeys returns two different RSA signing keys (made once: RSA-3072
// generation takes a second or two).
func testKeys(t *testing.T) [2]*signing.Signer {
	t.Helper()
	keysOnce.Do(func() {
		for i := range keys {
			armored, err := signing.Generate("test", "test@example.invalid", epoch.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if keys[i], err = signing.Parse(armored, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
	if keys[1] == nil {
		t.Fatal("generating test keys failed")
	}
	return keys
}

func open(t *testing.T, ref string, opts ...payload.Option) *payload.Payload {
	t.Helper()
	p, err := payload.Open(context.Background(), ref, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestOpenLayout(t *testing.T) {
	f := build(t, nil)
	for _, ref := range []string{f.dir, f.dir + ":1.2.0"} {
		p := open(t, ref)
		m := p.Metadata
		if !p.Local || p.Digest != f.res.Digest || m != f.res.Metadata || m.Version != "1.2.0" || m.Cmdline != "console=ttyS0" || p.Signature != nil {
			t.Errorf("Open(%s) = local %v digest %s metadata %+v, want the build's %s %+v", ref, p.Local, p.Digest, m, f.res.Digest, f.res.Metadata)
		}
		if err := p.VerifyBlobs(context.Background()); err != nil {
			t.Errorf("VerifyBlobs: %v", err)
		}
		for which, want := range f.files {
			if got := readAll(t, p, which); !bytes.Equal(got, want) {
				t.Errorf("Open(%s) streams %d bytes, want the %d written", which, len(got), len(want))
			}
		}
	}
	if _, err := payload.Open(context.Background(), f.dir+":9.9.9"); err == nil || !strings.Contains(err.Error(), "9.9.9") {
		t.Errorf("Open with an unknown tag: %v, want an error naming it", err)
	}
}

func readAll(t *testing.T, p *payload.Payload, which string) []byte {
	t.Helper()
	rc, err := p.Open(context.Background(), which)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", which, err)
	}
	return b
}

// TestFlippedByte flips one byte of the slot blob: Open still succeeds
// (the manifest is intact), but VerifyBlobs and a streamed read end in
// ErrDigest naming the slot.
func TestFlippedByte(t *testing.T) {
	f := build(t, nil)
	blob := filepath.Join(f.dir, "blobs", "sha256", strings.TrimPrefix(f.res.Metadata.Slot.Digest, "sha256:"))
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := open(t, f.dir)
	if err := p.VerifyBlobs(context.Background()); !errors.Is(err, payload.ErrDigest) || !strings.Contains(err.Error(), "slot") {
		t.Errorf("VerifyBlobs = %v, want ErrDigest naming the slot", err)
	}
	rc, err := p.Open(context.Background(), payload.BlobSlot)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if !errors.Is(err, payload.ErrDigest) || n != int64(len(b)) {
		t.Errorf("streaming the slot: %d bytes, %v; want all %d bytes then ErrDigest", n, err, len(b))
	}
	// A blob longer than the metadata says is caught before the end.
	if err := os.WriteFile(blob, append(b, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.VerifyBlobs(context.Background()); !errors.Is(err, payload.ErrDigest) || !strings.Contains(err.Error(), "longer") {
		t.Errorf("VerifyBlobs of a longer blob = %v, want ErrDigest", err)
	}
}

func TestCheckArch(t *testing.T) {
	p := open(t, build(t, nil).dir)
	if err := p.CheckArch("amd64"); err != nil {
		t.Errorf("CheckArch(amd64) = %v", err)
	}
	err := p.CheckArch("arm64")
	if !errors.Is(err, payload.ErrArch) || !strings.Contains(err.Error(), "amd64") || !strings.Contains(err.Error(), "arm64") {
		t.Errorf("CheckArch(arm64) = %v, want ErrArch naming both", err)
	}
}

func TestSignature(t *testing.T) {
	k := testKeys(t)
	unsigned := open(t, build(t, nil).dir)
	if err := unsigned.VerifySignature(k[0].PublicKeyArmored()); !errors.Is(err, payload.ErrUnsigned) {
		t.Errorf("unsigned: VerifySignature = %v, want ErrUnsigned", err)
	}
	signed := open(t, build(t, k[0]).dir)
	if signed.Signature == nil {
		t.Fatal("signed payload has no signature")
	}
	for name, ring := range map[string][]byte{
		"armored": k[0].PublicKeyArmored(), "binary": k[0].PublicKey(),
		"armored, two keys": append(k[1].PublicKeyArmored(), k[0].PublicKeyArmored()...),
	} {
		if err := signed.VerifySignature(ring); err != nil {
			t.Errorf("%s: VerifySignature with the signing key = %v", name, err)
		}
	}
	if err := signed.VerifySignature(k[1].PublicKeyArmored()); !errors.Is(err, payload.ErrSignature) {
		t.Errorf("VerifySignature with another key = %v, want ErrSignature", err)
	}
	signed.MetadataBytes = bytes.Replace(signed.MetadataBytes, []byte("1.2.0"), []byte("1.2.1"), 1)
	if err := signed.VerifySignature(k[0].PublicKeyArmored()); !errors.Is(err, payload.ErrSignature) {
		t.Errorf("VerifySignature of altered metadata = %v, want ErrSignature", err)
	}
}

// TestManifestMismatch rewrites the manifest so that it disagrees with
// the metadata: Open refuses it with ErrDigest.
func TestManifestMismatch(t *testing.T) {
	for name, edit := range map[string]func(m *v1.Manifest){
		"slot size":        func(m *v1.Manifest) { m.Layers[0].Size++ },
		"kernel digest":    func(m *v1.Manifest) { m.Layers[1].Digest = m.Layers[2].Digest },
		"missing initrd":   func(m *v1.Manifest) { m.Layers = m.Layers[:2] },
		"artifact type":    func(m *v1.Manifest) { m.ArtifactType = "application/vnd.example" },
		"erofs media type": func(m *v1.Manifest) { m.Layers[0].MediaType = payload.MediaSlotErofs },
	} {
		t.Run(name, func(t *testing.T) {
			f := build(t, nil)
			rewriteManifest(t, f.dir, edit)
			_, err := payload.Open(context.Background(), f.dir)
			t.Log(err)
			if !errors.Is(err, payload.ErrDigest) {
				t.Errorf("Open = %v, want ErrDigest", err)
			}
		})
	}
}

// rewriteManifest edits the layout's manifest and points index.json at it.
func rewriteManifest(t *testing.T, dir string, edit func(*v1.Manifest)) {
	t.Helper()
	var idx v1.IndexManifest
	readJSON(t, filepath.Join(dir, "index.json"), &idx)
	var m v1.Manifest
	readJSON(t, filepath.Join(dir, "blobs", "sha256", idx.Manifests[0].Digest.Hex), &m)
	edit(&m)
	raw, _ := json.Marshal(m)
	h, size, _ := v1.SHA256(bytes.NewReader(raw))
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", h.Hex), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	idx.Manifests[0].Digest, idx.Manifests[0].Size = h, size
	b, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRegistry pushes a signed payload to Debian's docker-registry
// and reads it back by tag and by digest: the same metadata and
// signature, and blobs streamed and checked.
func TestOpenRegistry(t *testing.T) {
	k := testKeys(t)
	f := build(t, k[0])
	reg := testregistry.Start(t)
	ref := reg + "/slipway/payload:1.2.0"
	res, err := ipayload.Push(context.Background(), f.dir, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{ref, reg + "/slipway/payload@" + res.Digest} {
		p := open(t, r)
		if p.Local || p.Digest != f.res.Digest || p.Metadata != f.res.Metadata {
			t.Errorf("Open(%s) = local %v %s %+v, want %s %+v", r, p.Local, p.Digest, p.Metadata, f.res.Digest, f.res.Metadata)
		}
		if err := p.VerifySignature(k[0].PublicKey()); err != nil {
			t.Errorf("VerifySignature: %v", err)
		}
		if err := p.VerifyBlobs(context.Background()); err != nil {
			t.Errorf("VerifyBlobs: %v", err)
		}
		if got := readAll(t, p, payload.BlobSlot); !bytes.Equal(got, f.files[payload.BlobSlot]) {
			t.Errorf("streamed slot differs")
		}
	}
	if _, err := payload.Open(context.Background(), reg+"/slipway/payload:nope"); err == nil {
		t.Error("Open of a missing tag succeeded")
	}
}
