package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	upOnce sync.Once
	upDir  string
	upErr  error
)

// upgradeRepo returns a copy of the shared repository into which kubelet
// 1.33.0-2 (same binary and files, packaging revision 2) was published
// on top of everything else, made once.
func (f *fixture) upgradeRepo(t *testing.T) string {
	t.Helper()
	upOnce.Do(func() { upDir, upErr = f.publishRevision2(t) })
	if upErr != nil {
		t.Fatalf("publishing kubelet revision 2: %v", upErr)
	}
	return upDir
}

func (f *fixture) publishRevision2(t *testing.T) (string, error) {
	dst := filepath.Join(tmpRoot, "repo-r2")
	if r := run(t, nil, "cp", "-a", f.repo, dst); r.code != 0 {
		return "", fmt.Errorf("copying the repository: %s", r.stderr)
	}
	spec := filepath.Join(f.dir, "kubelet-r2.yaml") // beside release.asc
	doc := `apiVersion: slipway.dev/v1alpha1
kind: Release
metadata:
  name: e2e-kubelet-r2
spec:
  version: 0.1.0
  kubernetesVersion: 1.33.0
  architectures: [amd64]
  components:
    - {name: kubelet, version: 1.33.0, sources: {amd64: {url: "file://` + f.kube + `/amd64/bin/kubelet"}}}
  packages:
    - {name: kubelet, revision: "2"}
  signing: {openpgpKey: release.asc}
`
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		return "", err
	}
	if _, err := buildJSON(t, "repo", spec, dst, filepath.Join(tmpRoot, "cache-r2")); err != nil {
		return "", err
	}
	return dst, nil
}

// customKubeletEnv is what an administrator wrote into kubelet's config
// file; upgrades must keep it.
const customKubeletEnv = "KUBELET_EXTRA_ARGS=--v=4\n"

// checkConfigKept fails unless the file holds customKubeletEnv.
func checkConfigKept(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != customKubeletEnv {
		t.Errorf("the upgrade replaced the changed %s: now %q", p, b)
	}
}

// aptUpgradeKubelet changes /etc/default/kubelet in root, switches the
// served repository (link) to the one with kubelet 1.33.0-2 and upgrades
// with apt-get inside the root: the changed conffile must be kept.
func aptUpgradeKubelet(t *testing.T, f *fixture, root, link string) {
	conf := filepath.Join(root, "etc/default/kubelet")
	if err := os.WriteFile(conf, []byte(customKubeletEnv), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.upgradeRepo(t), link); err != nil {
		t.Fatal(err)
	}
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	must(t, env, "chroot", root, "apt-get", "update")
	out := must(t, env, "chroot", root, "apt-get", "install", "-y", "--only-upgrade", "kubelet")
	if v := must(t, nil, "chroot", root, "dpkg-query", "-W", "-f=${Version}", "kubelet"); v != "1.33.0-2" {
		t.Fatalf("kubelet %s after the upgrade, want 1.33.0-2:\n%s", v, out)
	}
	checkConfigKept(t, conf)
	if v := must(t, nil, "chroot", root, "kubelet", "--version"); !strings.Contains(v, "Kubernetes v1.33.0") {
		t.Errorf("kubelet --version after the upgrade: %q", v)
	}
}
