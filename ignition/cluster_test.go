package ignition

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/manifests"
	"github.com/slipway-dev/slipway/pki"
	"github.com/slipway-dev/slipway/spec"
)

// TestGeneratedConfigsApply generates the example cluster's configs and
// applies the control-plane and a worker config with the real Ignition.
func TestGeneratedConfigsApply(t *testing.T) {
	c, _, err := spec.LoadCluster("../examples/cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := pki.Init(context.Background(), dir, pki.FromCluster(c)); err != nil {
		t.Fatal(err)
	}
	configs, err := Generate(context.Background(), c, dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ign")
	if err := Write(out, configs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		node    string
		present map[string]os.FileMode
		absent  []string
	}{
		{"cp1", map[string]os.FileMode{
			"etc/kubernetes/manifests/etcd.yaml":                    0o600,
			"etc/kubernetes/manifests/kube-apiserver.yaml":          0o600,
			"etc/kubernetes/manifests/kube-controller-manager.yaml": 0o600,
			"etc/kubernetes/manifests/kube-scheduler.yaml":          0o600,
			"etc/kubernetes/pki/ca.key":                             0o600,
			"etc/kubernetes/pki/apiserver.crt":                      0o644,
			"etc/kubernetes/pki/etcd/server.key":                    0o600,
			"etc/kubernetes/pki/sa.key":                             0o600,
			"etc/kubernetes/admin.conf":                             0o600,
			"etc/kubernetes/kubelet.conf":                           0o600,
			"var/lib/kubelet/config.yaml":                           0o644,
			"etc/motd":                                              0o644,
		}, []string{"etc/kubernetes/super-admin.conf"}},
		{"worker1", map[string]os.FileMode{
			"etc/kubernetes/pki/ca.crt":   0o644,
			"etc/kubernetes/kubelet.conf": 0o600,
		}, []string{"etc/kubernetes/pki/ca.key", "etc/kubernetes/manifests/etcd.yaml", "etc/kubernetes/admin.conf"}},
	} {
		t.Run(tc.node, func(t *testing.T) {
			st, err := os.Stat(filepath.Join(out, tc.node+".ign"))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("%s.ign: %v mode %v, want 0600", tc.node, err, st.Mode())
			}
			b, _ := os.ReadFile(filepath.Join(out, tc.node+".ign"))
			root := applyWithIgnition(t, b)
			for p, mode := range tc.present {
				st, err := os.Stat(filepath.Join(root, p))
				if err != nil || st.Mode().Perm() != mode {
					t.Errorf("%s: %v, mode %v, want %o", p, err, st, mode)
				}
			}
			for _, p := range tc.absent {
				if _, err := os.Stat(filepath.Join(root, p)); err == nil {
					t.Errorf("%s must not be on %s", p, tc.node)
				}
			}
			dropIn, _ := os.ReadFile(filepath.Join(root, "etc/systemd/system/kubelet.service.d/20-slipway.conf"))
			if !strings.Contains(string(dropIn), "--hostname-override="+tc.node) {
				t.Errorf("kubelet drop-in: %q", dropIn)
			}
			preset, _ := os.ReadFile(filepath.Join(root, "etc/systemd/system-preset/20-ignition.preset"))
			for _, unit := range []string{"kubelet.service", "containerd.service"} {
				if !strings.Contains(string(preset), "enable "+unit) {
					t.Errorf("%s not enabled: %q", unit, preset)
				}
			}
		})
	}
}

func TestGenerateNeedsPKI(t *testing.T) {
	c, _, err := spec.LoadCluster("../examples/cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Generate(context.Background(), c, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "run slipway pki init first") {
		t.Fatalf("err = %v", err)
	}
}

// TestVersionTablesAgree: the Cluster document accepts exactly the minors
// the manifests are generated for, with the same default etcd.
func TestVersionTablesAgree(t *testing.T) {
	var minors []string
	for m := range spec.DefaultEtcdVersions {
		minors = append(minors, fmt.Sprintf("1.%d", m))
	}
	slices.Sort(minors)
	if want := manifests.SupportedKubernetesMinors(); !slices.Equal(minors, want) {
		t.Fatalf("spec minors %v, manifests %v", minors, want)
	}
	for m, etcd := range spec.DefaultEtcdVersions {
		pod, err := manifests.Etcd(manifests.Config{KubernetesVersion: fmt.Sprintf("1.%d.0", m),
			Node: manifests.Node{Name: "n", Address: "10.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		if img := pod.Spec.Containers[0].Image; img != "registry.k8s.io/etcd:"+etcd+"-0" {
			t.Errorf("1.%d: manifests default etcd image %s, spec default %s", m, img, etcd)
		}
	}
}
