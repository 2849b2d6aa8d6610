package e2e

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/signing"
)

// tmpRoot holds every file the fixture writes; TestMain removes it.
var tmpRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: every test skipped: -short runs the fast tier only (make unit)")
		os.Exit(0)
	}
	var err error
	if tmpRoot, err = os.MkdirTemp("", "slipway-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if os.Getenv("SLIPWAY_E2E_KEEP") == "" {
		os.RemoveAll(tmpRoot)
	} else {
		fmt.Fprintln(os.Stderr, "kept", tmpRoot)
	}
	os.Exit(code)
}

// artifact is one entry of `slipway packages ... --json`.
type artifact struct {
	Package       string `json:"package"`
	Version       string `json:"version"`
	Arch          string `json:"arch"`
	Format        string `json:"format"`
	File          string `json:"file"`
	SHA256        string `json:"sha256"`
	ContentSHA256 string `json:"contentSha256"`
	Signed        bool   `json:"signed"`
}

// buildResult is the JSON document slipway prints with --json.
type buildResult struct {
	Output       string     `json:"output"`
	Artifacts    []artifact `json:"artifacts"`
	Repositories []struct {
		Format   string `json:"format"`
		Dir      string `json:"dir"`
		Packages int    `json:"packages"`
		Signed   bool   `json:"signed"`
	} `json:"repositories"`
}

// fixture is the release every test shares, built once.
type fixture struct {
	inputs    string // build/inputs: Debian's kubectl and CNI plugins
	kube      string // build/kube: kubelet, kubeadm, crictl, CNI plugins from source
	dir       string // specs and key
	key       string // armored private key
	mainSpec  string // amd64: every built-in package
	armSpec   string // arm64: kubectl and kubernetes-cni from Debian
	repo      string // `packages repo` output of both specs
	artifacts []artifact
	// crictl tells whether build/kube holds crictl: the Go module proxy
	// used here does not serve sigs.k8s.io/cri-tools, and nothing may
	// stand in for it, so cri-tools is then left out (and logged).
	crictl bool
}

// installable are the package names every install test asks for.
func (f *fixture) installable() []string {
	p := []string{"kubelet", "kubeadm", "kubectl", "kubernetes-cni", "slipway-node"}
	if f.crictl {
		p = append(p, "cri-tools")
	}
	return p
}

var (
	fxOnce sync.Once
	fx     *fixture
	fxErr  error
)

// release returns the shared fixture, building it on first use: the
// inputs, a signing key, two specs and their published repositories.
func release(t *testing.T) *fixture {
	t.Helper()
	slipwayBin(t)
	needTools(t, "sh", "go", "apt-get", "dpkg-deb")
	fxOnce.Do(func() { fx, fxErr = newFixture(t) })
	if fxErr != nil {
		t.Fatalf("building the shared release: %v", fxErr)
	}
	return fx
}

func newFixture(t *testing.T) (*fixture, error) {
	root := repoRoot(t)
	f := &fixture{inputs: filepath.Join(root, "build", "inputs"), kube: filepath.Join(root, "build", "kube"),
		dir: filepath.Join(tmpRoot, "release"), repo: filepath.Join(tmpRoot, "repo")}
	if err := f.buildInputs(t, root); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(f.kube, "amd64", "bin", "crictl")); err == nil {
		f.crictl = true
	} else {
		t.Logf("NOT TESTED: cri-tools: %s/amd64/bin/crictl was not built (hack/build-kube.sh says why)", f.kube)
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return nil, err
	}
	if err := f.writeKeyAndSpecs(); err != nil {
		return nil, err
	}
	for _, s := range []string{f.mainSpec, f.armSpec} {
		start := time.Now()
		res, err := buildJSON(t, "repo", s, f.repo, filepath.Join(tmpRoot, "cache-repo"))
		if err != nil {
			return nil, err
		}
		t.Logf("slipway packages repo -f %s: %d packages in %s", filepath.Base(s), len(res.Artifacts), time.Since(start).Round(time.Second))
		f.artifacts = append(f.artifacts, res.Artifacts...)
	}
	return f, nil
}

// buildInputs runs the idempotent input scripts: Debian's binaries for
// amd64 and arm64, and the Kubernetes source build for amd64.
func (f *fixture) buildInputs(t *testing.T, root string) error {
	for _, args := range [][]string{
		{"hack/fetch-inputs.sh", f.inputs, "amd64", "arm64"},
		{"hack/build-kube.sh", f.kube, "amd64"},
	} {
		start := time.Now()
		r := run(t, nil, "sh", append([]string{"-c", `cd "$0" && exec "$@"`, root}, args...)...)
		if r.code != 0 {
			return fmt.Errorf("%s: exit status %d\n%s%s", args[0], r.code, tail(r.stdout), tail(r.stderr))
		}
		t.Logf("%s: %s", args[0], time.Since(start).Round(time.Second))
	}
	return nil
}

// buildJSON runs `slipway packages CMD -f spec -o out --json` with its own
// cache directory and decodes the result.
func buildJSON(t testing.TB, cmd, spec, out, cache string) (*buildResult, error) {
	r := slipway(t, nil, "packages", cmd, "-f", spec, "-o", out, "--cache-dir", cache, "--json")
	if r.code != 0 {
		return nil, fmt.Errorf("slipway packages %s -f %s: exit status %d\n%s", cmd, spec, r.code, tail(r.stderr))
	}
	var res buildResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		return nil, fmt.Errorf("decoding --json output: %w\n%s", err, r.stdout)
	}
	return &res, nil
}

func (f *fixture) writeKeyAndSpecs() error {
	// The key predates SOURCE_DATE_EPOCH, or verifiers would see
	// signatures made before their key existed.
	key, err := signing.Generate("slipway e2e", "e2e@slipway.invalid", time.Unix(epoch-86400, 0))
	if err != nil {
		return err
	}
	f.key = filepath.Join(f.dir, "release.asc")
	if err := os.WriteFile(f.key, key, 0o600); err != nil {
		return err
	}
	f.mainSpec = filepath.Join(f.dir, "main.yaml")
	f.armSpec = filepath.Join(f.dir, "arm64.yaml")
	if err := os.WriteFile(f.mainSpec, []byte(f.mainYAML()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(f.armSpec, []byte(f.armYAML()), 0o644)
}

func (f *fixture) mainYAML() string {
	k, d := f.kube+"/amd64", f.inputs+"/amd64"
	crictl := ""
	if f.crictl {
		crictl = `    - {name: cri-tools, version: 1.33.0, sources: {amd64: {url: "file://` + k + `/bin/crictl"}}}` + "\n"
	}
	return `apiVersion: slipway.dev/v1alpha1
kind: Release
metadata:
  name: e2e
spec:
  version: 0.1.0
  kubernetesVersion: 1.33.0
  architectures: [amd64]
  components:
    - {name: kubelet, version: 1.33.0, sources: {amd64: {url: "file://` + k + `/bin/kubelet"}}}
    - {name: kubeadm, version: 1.33.0, sources: {amd64: {url: "file://` + k + `/bin/kubeadm"}}}
` + crictl + `    - {name: cni-plugins, version: 1.6.2, sources: {amd64: {url: "file://` + k + `/cni"}}}
    - {name: kubectl, version: 1.20.2, sources: {amd64: {url: "file://` + d + `/usr/bin/kubectl"}}}
  signing: {openpgpKey: release.asc}
`
}

func (f *fixture) armYAML() string {
	d := f.inputs + "/arm64"
	return `apiVersion: slipway.dev/v1alpha1
kind: Release
metadata:
  name: e2e-arm64
spec:
  version: 0.1.0
  kubernetesVersion: 1.33.0
  architectures: [arm64]
  components:
    - {name: kubectl, version: 1.20.2, sources: {arm64: {url: "file://` + d + `/usr/bin/kubectl"}}}
    - {name: cni-plugins, version: 1.1.1, sources: {arm64: {url: "file://` + d + `/usr/lib/cni"}}}
  signing: {openpgpKey: release.asc}
`
}

// debRepo and rpmRepo are the published repositories.
func (f *fixture) debRepo() string { return filepath.Join(f.repo, "v1.33", "deb") }
func (f *fixture) rpmRepo() string { return filepath.Join(f.repo, "v1.33", "rpm") }

// generateKey returns a fresh armored private key dated before the epoch.
func generateKey(t testing.TB) []byte {
	t.Helper()
	key, err := signing.Generate("slipway e2e other", "other@slipway.invalid", time.Unix(epoch-86400, 0))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// nodeVersion is what the amd64 slipway-node the packages were built from
// prints for `version`: the installed one must print the same.
func nodeVersion(t testing.TB) string {
	t.Helper()
	out := must(t, nil, filepath.Join(filepath.Dir(slipwayBin(t)), "slipway-node-linux-amd64"), "version")
	if strings.TrimSpace(out) == "" {
		t.Fatal("slipway-node version printed nothing")
	}
	return strings.TrimSpace(out)
}
