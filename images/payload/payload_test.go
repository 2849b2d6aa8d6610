package payload

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/testregistry"
	npayload "github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/signing"
)

var epoch = time.Unix(1700000000, 0).UTC()

// inputs writes random slot, kernel and initrd files into dir.
func inputs(t *testing.T, dir string) Input {
	t.Helper()
	in := Input{
		Slot: filepath.Join(dir, "slot.img"), Kernel: filepath.Join(dir, "vmlinuz"), Initrd: filepath.Join(dir, "initrd.img"),
		Metadata: npayload.Metadata{Name: "test", Version: "1.2.0", KubernetesVersion: "1.33.0", Arch: "amd64",
			KernelVersion: "6.1.0-test", SlotFilesystem: "erofs"},
		Epoch: epoch,
	}
	for p, n := range map[string]int{in.Slot: 1<<20 + 3, in.Kernel: 4000, in.Initrd: 6000} {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func signer(t *testing.T) *signing.Signer {
	t.Helper()
	key, err := signing.Generate("test", "test@example.invalid", epoch.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.Parse(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustBuild(t *testing.T, in Input, dir string) *Result {
	t.Helper()
	res, err := Build(context.Background(), in, dir)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBuildDeterministic builds the same inputs twice, unsigned and
// signed: the manifest digests match; the signed one differs from the
// unsigned one; the slot blob is a hard link of the input.
func TestBuildDeterministic(t *testing.T) {
	dir := t.TempDir()
	in := inputs(t, dir)
	a := mustBuild(t, in, filepath.Join(dir, "a"))
	b := mustBuild(t, in, filepath.Join(dir, "b"))
	if a.Digest != b.Digest || a.Signed {
		t.Errorf("unsigned builds: %s and %s (signed %v), want one digest", a.Digest, b.Digest, a.Signed)
	}
	in.Signer = signer(t)
	c := mustBuild(t, in, filepath.Join(dir, "c"))
	d := mustBuild(t, in, filepath.Join(dir, "d"))
	if c.Digest != d.Digest || !c.Signed || c.Digest == a.Digest {
		t.Errorf("signed builds: %s and %s (signed %v), unsigned %s: want one digest, not the unsigned one", c.Digest, d.Digest, c.Signed, a.Digest)
	}
	src, _ := os.Stat(in.Slot)
	blob, err := os.Stat(filepath.Join(a.Dir, "blobs", "sha256", strings.TrimPrefix(a.Metadata.Slot.Digest, "sha256:")))
	if err != nil || !os.SameFile(src, blob) {
		t.Errorf("slot blob is not a hard link of the input (%v)", err)
	}
	if _, err := Build(context.Background(), in, a.Dir); !errors.Is(err, os.ErrExist) {
		t.Errorf("Build into an existing directory: %v, want ErrExist", err)
	}
}

// TestBuildChecksInput: a wrong metadata field or a missing file is an
// error and leaves nothing behind.
func TestBuildChecksInput(t *testing.T) {
	dir := t.TempDir()
	for name, edit := range map[string]func(*Input){
		"no kernel file":  func(in *Input) { in.Kernel = filepath.Join(dir, "missing") },
		"no arch":         func(in *Input) { in.Metadata.Arch = "" },
		"ext4 slot":       func(in *Input) { in.Metadata.SlotFilesystem = "ext4" },
		"bad slot digest": func(in *Input) { in.SlotDigest = "md5:00" },
		"no epoch":        func(in *Input) { in.Epoch = time.Time{} },
	} {
		t.Run(name, func(t *testing.T) {
			in := inputs(t, t.TempDir())
			edit(&in)
			out := filepath.Join(t.TempDir(), "layout")
			if _, err := Build(context.Background(), in, out); err == nil {
				t.Fatal("Build succeeded")
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Errorf("Build left %d entries behind", len(entries))
			}
		})
	}
}

// TestPushAndInspect builds a signed payload, reads the layout with
// skopeo, pushes it to Debian's docker-registry (twice: the second
// uploads no blob), reads it back with skopeo and Inspect.
func TestPushAndInspect(t *testing.T) {
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		t.Fatal("skopeo is missing: apt-get install skopeo")
	}
	dir := t.TempDir()
	in := inputs(t, dir)
	in.Signer = signer(t)
	res := mustBuild(t, in, filepath.Join(dir, "layout"))
	raw, err := os.ReadFile(filepath.Join(res.Dir, "blobs", "sha256", strings.TrimPrefix(res.Digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(skopeo, "inspect", "--raw", "oci:"+res.Dir+":1.2.0").Output(); err != nil || !bytes.Equal(out, raw) {
		t.Errorf("skopeo inspect --raw oci:%s:1.2.0 = %v\n%s\nwant\n%s", res.Dir, err, out, raw)
	}
	proxy := testregistry.Count(t, testregistry.Start(t))
	ref := proxy.Addr + "/slipway/payload:1.2.0"
	pushed, err := Push(context.Background(), res.Dir, ref)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Digest != res.Digest || pushed.Reference != proxy.Addr+"/slipway/payload@"+res.Digest {
		t.Errorf("Push = %+v, want digest %s", pushed, res.Digest)
	}
	out, err := exec.Command(skopeo, "inspect", "--tls-verify=false", "--raw", "docker://"+ref).Output()
	if err != nil || !bytes.Equal(out, raw) {
		t.Errorf("skopeo inspect --raw docker://%s = %v\n%s\nwant\n%s", ref, err, out, raw)
	}
	first := proxy.Uploads()
	if _, err := Push(context.Background(), res.Dir, ref); err != nil || proxy.Uploads() != first {
		t.Errorf("second push: %v, %d more blob uploads (want 0)", err, proxy.Uploads()-first)
	}
	for _, r := range []string{res.Dir, ref} {
		info, err := Inspect(context.Background(), r, WithKeyring(in.Signer.PublicKeyArmored()))
		if err != nil {
			t.Fatalf("Inspect(%s): %v", r, err)
		}
		names := []string{}
		for _, b := range info.Blobs {
			names = append(names, b.Name)
		}
		if info.Digest != res.Digest || !info.Signed || !info.Verified || info.Metadata != res.Metadata || strings.Join(names, ",") != "slot,kernel,initrd,signature" {
			t.Errorf("Inspect(%s) = %+v, want digest %s, signed, verified, blobs slot,kernel,initrd,signature", r, info, res.Digest)
		}
	}
}

// TestPushRefuses: a layout whose slot was altered, and a digest
// reference that is not the payload's, are not pushed.
func TestPushRefuses(t *testing.T) {
	dir := t.TempDir()
	res := mustBuild(t, inputs(t, dir), filepath.Join(dir, "layout"))
	reg := testregistry.Start(t)
	if _, err := Push(context.Background(), res.Dir, reg+"/p@sha256:"+strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), res.Digest) {
		t.Errorf("push to another digest: %v, want an error naming %s", err, res.Digest)
	}
	blob := filepath.Join(res.Dir, "blobs", "sha256", strings.TrimPrefix(res.Metadata.Kernel.Digest, "sha256:"))
	if err := os.WriteFile(blob, []byte("not the kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(context.Background(), res.Dir, reg+"/p:1"); !errors.Is(err, npayload.ErrDigest) || !strings.Contains(err.Error(), "kernel") {
		t.Errorf("push of an altered layout: %v, want ErrDigest naming the kernel", err)
	}
}
