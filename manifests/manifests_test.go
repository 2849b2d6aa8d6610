package manifests

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

var (
	cp1 = Node{Name: "cp1", Address: "10.0.0.11"}
	cp2 = Node{Name: "cp2", Address: "10.0.0.12"}
	cp3 = Node{Name: "cp3", Address: "10.0.0.13"}
)

// baseConfig is a single-node stacked cluster at Kubernetes version v.
func baseConfig(v string) Config {
	return Config{KubernetesVersion: v, Node: cp1, PodCIDR: "10.244.0.0/16"}
}

// TestGolden renders every pod of each case and compares it with
// testdata/<case>/<component>.yaml.
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{name: "1.30", cfg: baseConfig("1.30.14")},
		{name: "1.31", cfg: baseConfig("1.31.0")},
		{name: "1.32", cfg: baseConfig("1.32.0")},
		{name: "1.33", cfg: baseConfig("1.33.0")},
		{name: "1.34", cfg: baseConfig("1.34.0")},
		{name: "ha", cfg: func() Config {
			c := baseConfig("1.33.0")
			c.Node, c.ControlPlane = cp2, []Node{cp3, cp1, cp2}
			return c
		}()},
		{name: "etcd-3.4", cfg: withEtcd(baseConfig("1.33.0"), "3.4.23")},
		{name: "etcd-3.6", cfg: withEtcd(baseConfig("1.33.0"), "3.6.4")},
		{name: "external-ca", cfg: func() Config {
			c := baseConfig("1.33.0")
			c.ExternalCA = true
			return c
		}()},
		{name: "external-etcd", cfg: func() Config {
			c := baseConfig("1.33.0")
			c.ExternalEtcd = &ExternalEtcd{
				Endpoints: []string{"https://10.0.1.1:2379", "https://10.0.1.2:2379"},
				CAFile:    "/etc/etcd/pki/ca.crt",
				CertFile:  "/etc/etcd/pki/client/apiserver.crt",
				KeyFile:   "/etc/kubernetes/pki/apiserver-etcd-client.key",
			}
			return c
		}()},
		{name: "ipv6-extra-args", cfg: func() Config {
			c := Config{KubernetesVersion: "v1.32.3", Node: Node{Name: "cp1", Address: "fd00::11"},
				ServiceCIDR: "fd00:10:96::/112", DNSDomain: "example.internal", PKIDir: "/srv/pki"}
			c.Images.APIServer = "mirror.example/kube-apiserver:v1.32.3-patched"
			c.ExtraArgs = map[string]map[string]string{
				ComponentAPIServer:         {"audit-log-path": "/var/log/audit.log", "authorization-config": "/etc/kubernetes/authz.yaml"},
				ComponentScheduler:         {"bind-address": "0.0.0.0"},
				ComponentEtcd:              {"listen-metrics-urls": "http://[::1]:2382", "quota-backend-bytes": "8589934592"},
				ComponentControllerManager: {"bind-address": "::1"},
			}
			return c
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pods, err := ControlPlane(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := ControlPlane(tc.cfg)
			for i, p := range pods {
				got := marshalRoundTrip(t, p)
				if second := marshalRoundTrip(t, again[i]); string(second) != string(got) {
					t.Errorf("%s: a second build gives other bytes", p.Name)
				}
				golden(t, tc.name+"/"+p.Name+".yaml", got)
			}
		})
	}
}

func withEtcd(c Config, v string) Config {
	c.EtcdVersion = v
	return c
}

// marshalRoundTrip marshals p twice (same bytes: deterministic) and reads it
// back strictly (same pod: the YAML is a faithful corev1.Pod).
func marshalRoundTrip(t *testing.T, p *corev1.Pod) []byte {
	t.Helper()
	first, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := Marshal(p)
	if string(first) != string(second) {
		t.Fatalf("%s: Marshal is not deterministic", p.Name)
	}
	var back corev1.Pod
	if err := yaml.UnmarshalStrict(first, &back); err != nil {
		t.Fatalf("%s: reading back: %v", p.Name, err)
	}
	if !apiequality.Semantic.DeepEqual(*p, back) {
		t.Fatalf("%s: pod changed through YAML", p.Name)
	}
	return first
}

// TestControlPlanePods checks which pods each topology gets, and that the
// one-component functions agree with ControlPlane.
func TestControlPlanePods(t *testing.T) {
	ext := baseConfig("1.33.0")
	ext.ExternalEtcd = &ExternalEtcd{Endpoints: []string{"https://10.0.1.1:2379"}}
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{name: "stacked", cfg: baseConfig("1.33.0"), want: []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}},
		{name: "external etcd", cfg: ext, want: []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"}},
	}
	single := map[string]func(Config) (*corev1.Pod, error){
		ComponentEtcd: Etcd, ComponentAPIServer: APIServer,
		ComponentControllerManager: ControllerManager, ComponentScheduler: Scheduler,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pods, err := ControlPlane(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range pods {
				names = append(names, p.Name)
				alone, err := single[p.Name](tc.cfg)
				if err != nil || !apiequality.Semantic.DeepEqual(p, alone) {
					t.Errorf("%s alone differs from ControlPlane's (err %v)", p.Name, err)
				}
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.want) {
				t.Errorf("pods %v, want %v", names, tc.want)
			}
		})
	}
	if _, err := Etcd(ext); err == nil || !strings.Contains(err.Error(), "external") {
		t.Errorf("Etcd with external etcd: err %v, want ErrExternalEtcd", err)
	}
}
