package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/signing"
	"github.com/slipway-dev/slipway/spec"
)

func TestOrder(t *testing.T) {
	g := Graph{Steps: []Step{{ID: "disk", Needs: []string{"os"}}, {ID: "os", Needs: []string{"packages"}}, {ID: "packages"}}}
	order, err := g.Order()
	if err != nil || strings.Join(order, " ") != "packages os disk" {
		t.Fatalf("order %v, %v", order, err)
	}
	g.Steps[2].Needs = []string{"disk"}
	if _, err := g.Order(); err == nil || !strings.Contains(err.Error(), "depend on each other") {
		t.Errorf("cycle: %v", err)
	}
	g.Steps[2].Needs = []string{"nothing"}
	if _, err := g.Order(); err == nil || !strings.Contains(err.Error(), "nothing") {
		t.Errorf("unknown need: %v", err)
	}
}

// fileStep writes a file into the release directory after sleeping.
func fileStep(id string, needs []string, d time.Duration, running, peak *int32) Step {
	return Step{ID: id, Needs: needs, run: func(ctx context.Context, b *build) ([]Artifact, error) {
		n := atomic.AddInt32(running, 1)
		defer atomic.AddInt32(running, -1)
		for {
			p := atomic.LoadInt32(peak)
			if n <= p || atomic.CompareAndSwapInt32(peak, p, n) {
				break
			}
		}
		for _, need := range needs {
			if _, err := os.Stat(filepath.Join(b.dir, need)); err != nil {
				return nil, errors.New("ran before its need " + need)
			}
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return []Artifact{{Kind: KindPackage, Name: id, Path: id}}, os.WriteFile(filepath.Join(b.dir, id), []byte(id), 0o644)
	}}
}

func TestRunParallelInOrder(t *testing.T) {
	var running, peak int32
	g := Graph{Steps: []Step{
		fileStep("a", nil, 50*time.Millisecond, &running, &peak),
		fileStep("b", nil, 50*time.Millisecond, &running, &peak),
		fileStep("c", nil, 50*time.Millisecond, &running, &peak),
		fileStep("d", []string{"a", "b"}, 10*time.Millisecond, &running, &peak),
	}}
	b := &build{dir: t.TempDir()}
	arts, err := g.run(context.Background(), 2, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 4 || peak != 2 {
		t.Errorf("%d artifacts, %d steps at once (want 4, 2)", len(arts), peak)
	}
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	var running, peak int32
	slow := fileStep("slow", nil, 10*time.Second, &running, &peak)
	after := fileStep("after", []string{"broken"}, 0, &running, &peak)
	broken := Step{ID: "broken", run: func(context.Context, *build) ([]Artifact, error) {
		return nil, errors.New("component kubelet: sha256 mismatch")
	}}
	start := time.Now()
	_, err := Graph{Steps: []Step{slow, broken, after}}.run(context.Background(), 3, &build{dir: t.TempDir()}, nil)
	var se *StepError
	if !errors.As(err, &se) || se.Step != "broken" || !strings.Contains(err.Error(), "kubelet") {
		t.Fatalf("err = %v, want the broken step named", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the failure did not cancel the slow step")
	}
}

// testRelease is a small Release document, signed when key is set.
func testRelease(t *testing.T, key []byte) *spec.Release {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tool")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	doc := `apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: test}
spec:
  version: 1.0.0
  kubernetesVersion: 1.33.2
  architectures: [amd64]
  components:
    - {name: kubectl, version: 1.33.2, sources: {amd64: {url: "file://` + bin + `"}}}
`
	if key != nil {
		if err := os.WriteFile(filepath.Join(dir, "key.asc"), key, 0o600); err != nil {
			t.Fatal(err)
		}
		doc += "  signing: {openpgpKey: key.asc}\n"
	}
	p := filepath.Join(dir, "release.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _, err := spec.LoadRelease(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// finished writes a small release directory the way Build ends one.
func finished(t *testing.T, key []byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, s := range map[string]string{"amd64/disk/x.raw": "disk bytes", "images/etcd/index.json": "{}", "images/etcd/blobs/sha256/aa": "blob"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	arts := []Artifact{{Kind: KindDisk, Name: "x.raw", Arch: "amd64", Path: "amd64/disk/x.raw"}, {Kind: KindImage, Name: "etcd", Path: "images/etcd"}}
	if _, err := finish(dir, testRelease(t, key), arts, Options{Epoch: time.Unix(1700000000, 0)}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestVerify(t *testing.T) {
	key, err := signing.Generate("release", "release@example.com", time.Unix(1600000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := signing.Parse(key, nil)
	pub := s.PublicKeyArmored()
	dir := finished(t, key)
	rep, err := Verify(dir, pub)
	if err != nil || !rep.OK() || !strings.HasPrefix(rep.Signature, "good") || rep.Artifacts != 2 || rep.Files != 5 {
		t.Fatalf("a fresh release: %+v, %v", rep, err)
	}
	if m := rep.Manifest; m.UpgradeFrom.ControlPlane[0] != "1.32" || m.UpgradeFrom.Workers[3] != "1.36" || !m.Signed {
		t.Errorf("manifest %+v", m)
	}

	cases := []struct {
		name   string
		change func(dir string)
		want   []string
	}{
		{"a byte flipped in a layout blob", func(d string) { flip(t, filepath.Join(d, "images/etcd/blobs/sha256/aa")) },
			[]string{"images/etcd/blobs/sha256/aa (artifact images/etcd): sha256", "images/etcd: image etcd is sha256"}},
		{"a byte flipped in a disk image", func(d string) { flip(t, filepath.Join(d, "amd64/disk/x.raw")) },
			[]string{"amd64/disk/x.raw: sha256", "amd64/disk/x.raw: disk-image x.raw is"}},
		{"an artifact missing", func(d string) { os.Remove(filepath.Join(d, "amd64/disk/x.raw")) },
			[]string{"listed in SHA256SUMS but missing", "missing (disk-image x.raw)"}},
		{"a file added", func(d string) { os.WriteFile(filepath.Join(d, "extra"), nil, 0o644) },
			[]string{"extra: not listed in SHA256SUMS"}},
		{"SHA256SUMS edited", func(d string) { flip(t, filepath.Join(d, SumsFile)) },
			[]string{SumsSignature}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := finished(t, key)
			c.change(d)
			rep, err := Verify(d, pub)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
	t.Run("signed by someone else", func(t *testing.T) {
		other, _ := signing.Generate("other", "other@example.com", time.Unix(1600000000, 0))
		o, _ := signing.Parse(other, nil)
		rep, _ := Verify(finished(t, key), o.PublicKeyArmored())
		if rep.OK() {
			t.Error("a release signed by another key verified")
		}
	})
	t.Run("unsigned release, key given", func(t *testing.T) {
		rep, _ := Verify(finished(t, nil), pub)
		if rep.OK() {
			t.Error("an unsigned release verified against a key")
		}
	})
}

func flip(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReplaceable(t *testing.T) {
	dir := t.TempDir()
	if err := replaceable(filepath.Join(dir, "new")); err != nil {
		t.Error(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if err := replaceable(dir); !errors.Is(err, ErrNotARelease) {
		t.Errorf("a directory with other files: %v", err)
	}
	os.WriteFile(filepath.Join(dir, ManifestFile), nil, 0o644)
	if err := replaceable(dir); err != nil {
		t.Errorf("an earlier release: %v", err)
	}
}

func TestInstalledDebs(t *testing.T) {
	tree := t.TempDir()
	status := `Package: zlib1g
Status: install ok installed
Architecture: amd64
Version: 1:1.2.13.dfsg-1
Description: compression
 a continuation line: with a colon

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

Package: containerd
Status: install ok installed
Maintainer: Debian Go Packaging Team <team+pkg-go@tracker.debian.org>
Architecture: amd64
Version: 1.6.20~ds1-1+b1
`
	p := filepath.Join(tree, "var", "lib", "dpkg", "status")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(status), 0o644); err != nil {
		t.Fatal(err)
	}
	debs, err := InstalledDebs(tree)
	if err != nil {
		t.Fatal(err)
	}
	if len(debs) != 2 || debs[0].Name != "containerd" || debs[1].Version != "1:1.2.13.dfsg-1" {
		t.Errorf("installed: %+v", debs)
	}
	doc, err := SBOM(testRelease(t, nil), "amd64", tree, "sha256:ab", time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"spdxVersion": "SPDX-2.3"`, `pkg:deb/debian/containerd@1.6.20~ds1-1+b1?arch=amd64`, `"SPDXRef-component-kubectl"`, `"relationshipType": "DESCRIBES"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the SBOM lacks %s", want)
		}
	}
}
