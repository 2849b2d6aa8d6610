package e2e

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// releaseManifest is the part of release.json the test reads.
type releaseManifest struct {
	SchemaVersion int
	Artifacts     []releaseArtifact
}

type releaseArtifact struct {
	Kind, Name, Arch, Path, Digest, Ref string
	Inputs                              map[string]string
}

// TestReleaseAndVerify: `slipway release` of the e2e node OS release
// (caches warm from the boot tests) writes the layout v1; release.json
// validates against docs/release.v1.schema.json with Python's jsonschema;
// `release verify` passes; a byte flipped in an artifact of each kind
// makes it fail naming that artifact; the disk image and the payload
// hold the same slot filesystem; verify --rebuild from an empty cache
// reproduces every digest.
func TestReleaseAndVerify(t *testing.T) {
	f := theNodeOS(t)
	needTools(t, "python3")
	out := filepath.Join(t.TempDir(), "release") // tmpRoot/release is the packages fixture's
	start := time.Now()
	r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "release", "-f", f.spec, "-o", out, "--cache-dir", f.cache, "--json")
	if r.code != 0 {
		t.Fatalf("slipway release: exit %d\n%s", r.code, tail(r.stderr))
	}
	t.Logf("slipway release (warm caches): %s", time.Since(start).Round(time.Second))
	var m releaseManifest
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatal(err)
	}
	schema := filepath.Join(repoRoot(t), "docs", "release.v1.schema.json")
	py := `import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))`
	if out, err := exec.Command("python3", "-c", py, filepath.Join(out, "release.json"), schema).CombinedOutput(); err != nil {
		t.Fatalf("release.json does not validate against %s (python3-jsonschema): %v\n%s", schema, err, out)
	}
	if r := slipway(t, nil, "release", "verify", out); r.code != 0 {
		t.Fatalf("release verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	kinds := map[string]string{} // kind -> a file of an artifact of that kind
	slots := map[string]string{}
	for _, a := range m.Artifacts {
		slots[a.Kind] = a.Inputs["slot"]
		if _, ok := kinds[a.Kind]; ok {
			continue
		}
		p := filepath.Join(out, a.Path)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			blobs, _ := filepath.Glob(filepath.Join(p, "blobs", "sha256", "*"))
			if len(blobs) == 0 {
				debs, _ := filepath.Glob(filepath.Join(p, "*.*"))
				blobs = debs
			}
			if len(blobs) == 0 {
				t.Fatalf("artifact %s has no files", a.Path)
			}
			p = blobs[0]
		}
		kinds[a.Kind] = p
	}
	checkSBOM(t, f, out, m)
	checkOSImage(t, f, out, m)
	for _, k := range []string{"package", "repository", "disk-image", "os-image", "payload", "sbom"} {
		if kinds[k] == "" {
			t.Errorf("the release has no %s artifact", k)
		}
	}
	if slots["disk-image"] == "" || slots["disk-image"] != slots["payload"] || slots["os-image"] != slots["payload"] {
		t.Errorf("disk image slot %q, payload slot %q, OS image from the tree of slot %q: want the same", slots["disk-image"], slots["payload"], slots["os-image"])
	}
	for kind, p := range kinds {
		rel, _ := filepath.Rel(out, p)
		withFlippedByte(t, p, func() {
			r := slipway(t, nil, "release", "verify", out)
			if r.code != 1 || !strings.Contains(r.stdout, rel) {
				t.Errorf("a byte flipped in %s (%s): verify exit %d, want 1 naming it\n%s", rel, kind, r.code, r.stdout)
			}
		})
	}
	if r := slipway(t, nil, "release", "verify", out); r.code != 0 {
		t.Fatalf("verify after restoring: exit %d\n%s", r.code, r.stdout)
	}

	// The reproducibility check: everything built again from an empty
	// cache (mmdebstrap included) has the recorded digests.
	start = time.Now()
	if r := slipway(t, nil, "release", "verify", out, "--rebuild"); r.code != 0 || !strings.Contains(r.stdout, ": ok") {
		t.Fatalf("release verify --rebuild: exit %d\n%s%s", r.code, r.stdout, tail(r.stderr))
	}
	t.Logf("release verify --rebuild (cold cache): %s", time.Since(start).Round(time.Second))
}

// withFlippedByte replaces p by a copy with one byte flipped while fn
// runs, then puts the original back (renamed, so a file hard-linked to
// the cache is never written). The original waits outside the release
// directory: a file left beside p would fail verify by itself.
func withFlippedByte(t *testing.T, p string, fn func()) {
	t.Helper()
	orig := filepath.Join(t.TempDir(), "orig")
	if err := os.Rename(p, orig); err != nil {
		t.Fatal(err)
	}
	defer os.Rename(orig, p)
	b, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fn()
}

// TestReleaseInterrupted: SIGINT at several points of a release exits
// non-zero and leaves neither the release directory nor a partial one;
// the next run completes from the cache. A component whose checksum is
// wrong fails the release naming it.
func TestReleaseInterrupted(t *testing.T) {
	f := theNodeOS(t)
	bin := slipwayBin(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "release")
	// A spec of its own (one comment more), so its disk image is not in
	// the cache from another test and the release has work to interrupt.
	b, err := os.ReadFile(f.spec)
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(filepath.Dir(f.spec), "release-interrupted.yaml")
	if err := os.WriteFile(spec, append(b, "# interrupted\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	for _, after := range []time.Duration{200 * time.Millisecond, 700 * time.Millisecond, 1500 * time.Millisecond} {
		cmd := exec.Command(bin, "release", "-f", spec, "-o", out, "--cache-dir", f.cache)
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after)
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		if err == nil {
			t.Logf("the release finished within %s, before SIGINT", after)
			os.RemoveAll(out)
			continue
		}
		interrupted++
		left, _ := os.ReadDir(parent)
		if len(left) != 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("SIGINT after %s left %v\n%s", after, names, tail(stderr.String()))
		}
	}
	if interrupted < 2 {
		t.Errorf("only %d of 3 runs were interrupted", interrupted)
	}
	start := time.Now()
	if r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "release", "-f", spec, "-o", out, "--cache-dir", f.cache); r.code != 0 {
		t.Fatalf("the release after the interruptions: exit %d\n%s", r.code, tail(r.stderr))
	}
	t.Logf("release after interruptions (from the cache): %s", time.Since(start).Round(time.Second))

	bad := filepath.Join(filepath.Dir(f.spec), "release-bad-checksum.yaml")
	doc := strings.Replace(string(b), `/usr/bin/kubectl"}}}`, `/usr/bin/kubectl", sha256: "`+strings.Repeat("0", 64)+`"}}}`, 1)
	if doc == string(b) {
		t.Fatal("could not give kubectl a wrong checksum")
	}
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "release", "-f", bad, "-o", filepath.Join(parent, "bad"), "--cache-dir", f.cache)
	if r.code == 0 || !strings.Contains(r.stderr, "packages") || !strings.Contains(r.stderr, "checksum mismatch") || !strings.Contains(r.stderr, "kubectl") {
		t.Errorf("a wrong checksum: exit %d\n%s", r.code, tail(r.stderr))
	}
	if _, err := os.Stat(filepath.Join(parent, "bad")); err == nil {
		t.Error("the failed release left its directory")
	}
}

// checkOSImage: the release's OS image is an OCI image skopeo reads, with
// the manifest's ref as its digest, and unpacked by `slipway images os
// unpack` it is the node OS tree: dpkg's status and the node agent are
// the tree's bytes.
func checkOSImage(t *testing.T, f *nodeOS, out string, m releaseManifest) {
	t.Helper()
	needTools(t, "skopeo")
	var a *releaseArtifact
	for i := range m.Artifacts {
		if m.Artifacts[i].Kind == "os-image" {
			a = &m.Artifacts[i]
		}
	}
	if a == nil {
		t.Fatal("no os-image artifact")
	}
	layout := filepath.Join(out, a.Path)
	raw, err := exec.Command("skopeo", "inspect", "--raw", "oci:"+layout).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw oci:%s: %v", layout, err)
	}
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(raw)); got != a.Ref {
		t.Errorf("skopeo reads the OS image as %s, release.json says %s", got, a.Ref)
	}
	dst := filepath.Join(t.TempDir(), "tree")
	if r := slipway(t, nil, "images", "os", "unpack", layout, "-o", dst, "--allow-devices", "--arch", "amd64"); r.code != 0 {
		t.Fatalf("images os unpack: exit %d\n%s", r.code, r.stderr)
	}
	for _, p := range []string{"var/lib/dpkg/status", "usr/bin/slipway-node"} {
		got, err1 := fileutil.SHA256(filepath.Join(dst, p))
		want, err2 := fileutil.SHA256(filepath.Join(f.rootfs, p))
		if err1 != nil || err2 != nil || got != want {
			t.Errorf("%s in the unpacked OS image: %s (%v), in the tree: %s (%v)", p, got, err1, want, err2)
		}
	}
}

// checkSBOM: the OS image's SPDX document lists exactly the packages
// dpkg-query reports installed in the tree, the release's own among
// them, and the release's components.
func checkSBOM(t *testing.T, f *nodeOS, out string, m releaseManifest) {
	t.Helper()
	var path string
	for _, a := range m.Artifacts {
		if a.Kind == "sbom" {
			path = filepath.Join(out, a.Path)
		}
	}
	if path == "" {
		t.Fatal("no sbom artifact")
	}
	var doc struct {
		SPDXVersion string
		Packages    []struct {
			SPDXID, Name, VersionInfo string
		}
		Relationships []struct{ RelationshipType string }
	}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &doc) != nil || doc.SPDXVersion != "SPDX-2.3" {
		t.Fatalf("%s is not an SPDX 2.3 document: %v", path, err)
	}
	q, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(f.rootfs, "var", "lib", "dpkg"), "-W", "-f", "${db:Status-Abbrev} ${Package} ${Version}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(q)), "\n") {
		if fs := strings.Fields(line); len(fs) == 3 && fs[0] == "ii" {
			want[fs[1]] = fs[2]
		}
	}
	got := map[string]string{}
	components := 0
	for _, p := range doc.Packages {
		switch {
		case strings.HasPrefix(p.SPDXID, "SPDXRef-deb-"):
			got[p.Name] = p.VersionInfo
		case strings.HasPrefix(p.SPDXID, "SPDXRef-component-"):
			components++
		}
	}
	if len(got) != len(want) || len(want) < 100 {
		t.Errorf("the SBOM lists %d Debian packages, dpkg-query %d", len(got), len(want))
	}
	for n, v := range want {
		if got[n] != v {
			t.Errorf("SBOM: %s %q, dpkg-query says %q", n, got[n], v)
		}
	}
	for _, n := range []string{"systemd", "containerd", "slipway-node", "kubectl"} {
		if got[n] == "" {
			t.Errorf("the SBOM lacks %s", n)
		}
	}
	if components != 2 {
		t.Errorf("the SBOM lists %d components, want 2 (kubectl, cni-plugins)", components)
	}
}
