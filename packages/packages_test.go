package packages

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/spec"
)

// agents holds slipway-node and slipway-init built for every architecture by TestMain: real
// ELF binaries of both architectures to package.
var agents string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slipway-packages-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, arch := range spec.Architectures {
		for _, bin := range []string{"slipway-node", "slipway-init"} {
			cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, bin+"-linux-"+arch), "../cmd/"+bin)
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "building %s for %s: %v\n%s", bin, arch, err, out)
				os.Exit(1)
			}
		}
	}
	agents = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func nodeAgent(arch string) (string, error) {
	return filepath.Join(agents, "slipway-node-linux-"+arch), nil
}

var epoch = time.Unix(1700000000, 0)

// writeRelease writes a release whose "tool" component is the arm64 and
// amd64 agent binaries, plus a config file, and loads it.
func writeRelease(t *testing.T, amd64Source string) *spec.Release {
	t.Helper()
	dir := t.TempDir()
	doc := fmt.Sprintf(`apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: t}
spec:
  version: 1.0.0
  kubernetesVersion: 1.33.0
  architectures: [amd64, arm64]
  components:
    - name: tool
      version: 2.1.0
      sources:
        amd64: {url: "file://%s"}
        arm64: {url: "file://%s"}
  packages:
    - name: tool
      component: tool
      depends: ["libc6 >= 2.36", "bash"]
      files:
        - {dst: /usr/bin/tool, from: tool}
        - {dst: /etc/tool.conf, content: "a=1\n", type: config}
        - {dst: /var/lib/tool, type: dir}
      scripts: {postInstall: "echo installed"}
`, amd64Source, filepath.Join(agents, "slipway-node-linux-arm64"))
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

func buildTo(t *testing.T, r *spec.Release, out, cache string) ([]Artifact, error) {
	t.Helper()
	return Build(context.Background(), r, out,
		WithCacheDir(cache), WithSourceDateEpoch(epoch), WithNodeAgent(nodeAgent))
}

func TestBuildMatrixAndCache(t *testing.T) {
	r := writeRelease(t, filepath.Join(agents, "slipway-node-linux-amd64"))
	out, cache := t.TempDir(), t.TempDir()
	arts, err := buildTo(t, r, out, cache)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, a := range arts {
		files = append(files, a.File)
		if a.Cached {
			t.Errorf("%s came from an empty cache", a.File)
		}
	}
	// Sorted by package, architecture, format.
	want := []string{
		"slipway-node_1.0.0-1_amd64.deb", "slipway-node-1.0.0-1.x86_64.rpm",
		"slipway-node_1.0.0-1_arm64.deb", "slipway-node-1.0.0-1.aarch64.rpm",
		"tool_2.1.0-1_amd64.deb", "tool-2.1.0-1.x86_64.rpm",
		"tool_2.1.0-1_arm64.deb", "tool-2.1.0-1.aarch64.rpm",
	}
	if !slices.Equal(files, want) {
		t.Fatalf("files = %v\nwant %v", files, want)
	}
	for _, f := range want {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	again, err := buildTo(t, r, t.TempDir(), cache)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range again {
		if !a.Cached || a.SHA256 != arts[i].SHA256 {
			t.Errorf("rebuild of %s: cached=%v sha %s, want cached and %s", a.File, a.Cached, a.SHA256, arts[i].SHA256)
		}
	}
}

func TestReproducibleAcrossCaches(t *testing.T) {
	r := writeRelease(t, filepath.Join(agents, "slipway-node-linux-amd64"))
	a1, err := buildTo(t, r, t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a2, err := buildTo(t, r, t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range a1 {
		if a1[i].SHA256 != a2[i].SHA256 {
			t.Errorf("%s differs between clean builds: %s vs %s", a1[i].File, a1[i].SHA256, a2[i].SHA256)
		}
	}
}

// TestFailureLeavesOutputAlone: a wrong-arch binary fails the build, and
// the output directory keeps exactly what it had.
func TestFailureLeavesOutputAlone(t *testing.T) {
	r := writeRelease(t, filepath.Join(agents, "slipway-node-linux-arm64")) // arm64 binary as amd64 source
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := buildTo(t, r, out, t.TempDir())
	var ae *ArchError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *ArchError", err)
	}
	if !strings.Contains(err.Error(), "EM_AARCH64, not EM_X86_64") {
		t.Errorf("message does not name the machines: %v", err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != "keep" {
		t.Fatalf("output changed: %v", entries)
	}
	siblings, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".slipway-*"))
	if len(siblings) != 0 {
		t.Fatalf("staging left behind: %v", siblings)
	}
}

func TestMissingBinary(t *testing.T) {
	r := writeRelease(t, "/nonexistent/tool")
	out := filepath.Join(t.TempDir(), "out")
	_, err := buildTo(t, r, out, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "fetching tool for amd64") || !strings.Contains(err.Error(), "/nonexistent/tool") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("output directory created on failure: %v", err)
	}
}

func TestFormatDepends(t *testing.T) {
	in := []string{"aa", "bb >= 1.2", "cc > 2", "dd << 3", "ee = 1.0"}
	deb := formatDepends(in, spec.FormatDeb)
	rpm := formatDepends(in, spec.FormatRPM)
	if want := []string{"aa", "bb (>= 1.2)", "cc (>> 2)", "dd (<< 3)", "ee (= 1.0)"}; !slices.Equal(deb, want) {
		t.Errorf("deb = %q, want %q", deb, want)
	}
	if want := []string{"aa", "bb >= 1.2", "cc > 2", "dd < 3", "ee = 1.0"}; !slices.Equal(rpm, want) {
		t.Errorf("rpm = %q, want %q", rpm, want)
	}
}

// TestDigestMemo: a changed input is hashed again even when the memo from
// an earlier run knows its path.
func TestDigestMemo(t *testing.T) {
	cache := t.TempDir()
	p := filepath.Join(t.TempDir(), "bin")
	os.WriteFile(p, []byte("one"), 0o755)
	d := newDigester(cache)
	first, err := d.file(p)
	if err != nil || d.save() != nil {
		t.Fatal(err)
	}
	d = newDigester(cache)
	if again, _ := d.file(p); again != first {
		t.Fatalf("memo gave %s, want %s", again, first)
	}
	os.WriteFile(p, []byte("two"), 0o755)
	d = newDigester(cache)
	if changed, _ := d.file(p); changed == first {
		t.Fatal("changed file kept its old digest")
	}
}

// TestArchitectureNames: each format's conventional architecture names.
func TestArchitectureNames(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.yaml")
	doc := "apiVersion: slipway.dev/v1alpha1\nkind: Release\nmetadata: {name: a}\nspec:\n  version: 0.1.0\n  kubernetesVersion: 1.33.0\n  architectures: [amd64, arm64, ppc64le, s390x]\n"
	os.WriteFile(p, []byte(doc), 0o644)
	r, _, err := spec.LoadRelease(p)
	if err != nil {
		t.Fatal(err)
	}
	arts, err := buildTo(t, r, t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range arts {
		got = append(got, a.File)
	}
	want := []string{
		"slipway-node_0.1.0-1_amd64.deb", "slipway-node-0.1.0-1.x86_64.rpm",
		"slipway-node_0.1.0-1_arm64.deb", "slipway-node-0.1.0-1.aarch64.rpm",
		"slipway-node_0.1.0-1_ppc64el.deb", "slipway-node-0.1.0-1.ppc64le.rpm",
		"slipway-node_0.1.0-1_s390x.deb", "slipway-node-0.1.0-1.s390x.rpm",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("files = %v\nwant %v", got, want)
	}
}
