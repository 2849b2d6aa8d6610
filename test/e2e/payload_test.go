package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/testregistry"
	"github.com/slipway-dev/slipway/node/payload"
)

// payloadBuild is what `slipway payload build --json` reports.
type payloadBuild struct {
	Payloads []struct {
		Dir, Digest, Tag string
		Metadata         payload.Metadata
	}
}

// TestPayloadCLI builds the update payload of the shared node OS from the
// disk build's cache: its slot is the disk image's slot byte for byte (a
// hard link of the cached file), a second build gives the same digest;
// pushed to Debian's docker-registry, skopeo reads the same manifest,
// `payload inspect` reports it, and every blob read back from the
// registry matches the metadata.
func TestPayloadCLI(t *testing.T) {
	needTools(t, "skopeo")
	f := theNodeOS(t)
	dir := t.TempDir()
	build := func(out string) payloadBuild {
		start := time.Now()
		r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "payload", "build", "-f", f.spec, "-o", out, "--cache-dir", f.cache, "--json")
		if r.code != 0 {
			t.Fatalf("payload build: exit %d\n%s", r.code, tail(r.stderr))
		}
		t.Logf("slipway payload build (OS cached by disk build): %s", time.Since(start).Round(time.Millisecond))
		var res payloadBuild
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Payloads) != 1 {
			t.Fatalf("payload build --json: %v\n%s", err, r.stdout)
		}
		return res
	}
	res := build(filepath.Join(dir, "a"))
	p := res.Payloads[0]
	m := p.Metadata
	if m.Slot.Digest != f.slot || m.Version != "1.0.0" || m.Arch != "amd64" || m.KubernetesVersion != "1.33.0" || p.Tag != "1.0.0" {
		t.Fatalf("payload %+v: want slot %s (the disk image's), version 1.0.0, amd64, Kubernetes 1.33.0", p, f.slot)
	}
	layout := filepath.Join(dir, "a", "e2e-1.0.0-amd64")
	checkSlotLinked(t, layout, m.Slot.Digest, f.cache)
	if again := build(filepath.Join(dir, "b")); again.Payloads[0].Digest != p.Digest {
		t.Errorf("second build: %s, first %s", again.Payloads[0].Digest, p.Digest)
	}
	raw, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(p.Digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}

	reg := testregistry.Start(t)
	ref := reg + "/e2e/payload:1.0.0"
	r := slipway(t, nil, "payload", "push", "--from", layout, ref)
	if r.code != 0 || strings.TrimSpace(r.stdout) != p.Digest {
		t.Fatalf("payload push: exit %d, printed %q, want %s\n%s", r.code, r.stdout, p.Digest, tail(r.stderr))
	}
	got, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://"+ref).Output()
	if err != nil || string(got) != string(raw) || "sha256:"+sha256Hex(got) != p.Digest {
		t.Fatalf("skopeo inspect --raw: %v\n%s\nwant the layout's manifest\n%s", err, got, raw)
	}
	r = slipway(t, nil, "payload", "inspect", ref, "--json")
	var info struct {
		Digest   string
		Signed   bool
		Metadata payload.Metadata
		Blobs    []struct{ Name string }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &info) != nil || info.Digest != p.Digest || info.Metadata != m || info.Signed || len(info.Blobs) != 3 {
		t.Fatalf("payload inspect %s: exit %d\n%s%s", ref, r.code, r.stdout, r.stderr)
	}
	pl, err := payload.Open(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	if err := pl.VerifyBlobs(context.Background()); err != nil {
		t.Fatalf("blobs read back from the registry: %v", err)
	}
}

// checkSlotLinked checks that the layout's slot blob is the cached slot
// filesystem itself (a hard link), not a copy.
func checkSlotLinked(t *testing.T, layout, digest, cache string) {
	t.Helper()
	blob, err := os.Stat(filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	slots, _ := filepath.Glob(filepath.Join(cache, "slots", "*.img"))
	for _, s := range slots {
		if st, err := os.Stat(s); err == nil && os.SameFile(st, blob) {
			return
		}
	}
	t.Errorf("the layout's slot blob is not a hard link of a cached slot (%v)", slots)
}
