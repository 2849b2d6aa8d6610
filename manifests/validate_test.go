package manifests

import (
	"errors"
	"strings"
	"testing"
)

// TestValidate names each bad input and the message it must produce; every
// problem of a config is reported, not just the first.
func TestValidate(t *testing.T) {
	cases := []struct {
		name        string
		mutate      func(*Config)
		want        []string
		unsupported bool
	}{
		{name: "valid single node", mutate: func(*Config) {}},
		{name: "valid HA", mutate: func(c *Config) { c.ControlPlane = []Node{cp1, cp2, cp3} }},
		{name: "unknown Kubernetes minor", mutate: func(c *Config) { c.KubernetesVersion = "1.29.4" },
			want: []string{"kubernetesVersion: unsupported version: Kubernetes 1.29 (supported: 1.30, 1.31, 1.32, 1.33, 1.34)"}, unsupported: true},
		{name: "unparsable Kubernetes version", mutate: func(c *Config) { c.KubernetesVersion = "latest" },
			want: []string{`kubernetesVersion: parsing version "latest"`}},
		{name: "missing Kubernetes version", mutate: func(c *Config) { c.KubernetesVersion = "" },
			want: []string{"kubernetesVersion: required"}},
		{name: "minor without patch needs explicit images", mutate: func(c *Config) { c.KubernetesVersion = "1.33"; c.EtcdVersion = "3.5" },
			want: []string{`kubernetesVersion: "1.33" has no patch version`, `etcdVersion: "3.5" has no patch version`}},
		{name: "minor without patch with explicit images", mutate: func(c *Config) {
			c.KubernetesVersion = "1.33"
			c.Images = Images{APIServer: "a", ControllerManager: "c", Scheduler: "s"}
		}},
		{name: "unknown etcd minor", mutate: func(c *Config) { c.EtcdVersion = "3.3.27" },
			want: []string{"etcdVersion: unsupported version: etcd 3.3 (supported: 3.4, 3.5, 3.6)"}, unsupported: true},
		{name: "node not in control plane", mutate: func(c *Config) { c.ControlPlane = []Node{cp2, cp3} },
			want: []string{"node: node cp1 (10.0.0.11) is not in controlPlane"}},
		{name: "node in control plane with another address", mutate: func(c *Config) {
			c.ControlPlane = []Node{{Name: "cp1", Address: "10.0.0.99"}, cp2}
		}, want: []string{"node: node cp1 (10.0.0.11) is not in controlPlane"}},
		{name: "bad node address", mutate: func(c *Config) { c.Node.Address = "10.0.0.300"; c.ControlPlane = nil },
			want: []string{`node.address: "10.0.0.300" is not an IP address`}},
		{name: "hostname as address", mutate: func(c *Config) { c.Node.Address = "cp1.example" },
			want: []string{`node.address: "cp1.example" is not an IP address`}},
		{name: "unspecified address", mutate: func(c *Config) { c.Node.Address = "0.0.0.0" },
			want: []string{`node.address: "0.0.0.0" is not a specific unicast address`}},
		{name: "bad member address and duplicates", mutate: func(c *Config) {
			c.ControlPlane = []Node{cp1, {Name: "cp1", Address: "nope"}, {Name: "cp3", Address: "10.0.0.11"}}
		}, want: []string{
			`controlPlane[1].address: "nope" is not an IP address`,
			`controlPlane[1].name: "cp1" duplicates controlPlane[0]`,
			`controlPlane[2].address: "10.0.0.11" duplicates controlPlane[0]`,
		}},
		{name: "bad node name", mutate: func(c *Config) { c.Node.Name = "CP_1" },
			want: []string{`node.name: "CP_1" is not a valid node name`}},
		{name: "bad CIDRs", mutate: func(c *Config) { c.ServiceCIDR = "10.96.0.1/12"; c.PodCIDR = "pods" },
			want: []string{`serviceCIDR: "10.96.0.1/12" has host bits set (want 10.96.0.0/12)`, `podCIDR: "pods" is not a CIDR`}},
		{name: "bad external etcd", mutate: func(c *Config) {
			c.ExternalEtcd = &ExternalEtcd{Endpoints: []string{"10.0.1.1:2379"}, CertFile: "client.crt"}
		}, want: []string{
			`externalEtcd.endpoints[0]: "10.0.1.1:2379" is not an http(s) URL`,
			"externalEtcd: certFile and keyFile go together",
			`externalEtcd.certFile: "client.crt" is not an absolute path`,
		}},
		{name: "bad extra args", mutate: func(c *Config) {
			c.ExtraArgs = map[string]map[string]string{"kubelet": {"v": "2"}, ComponentAPIServer: {"--v": "2"}}
		}, want: []string{
			"extraArgs[kube-apiserver]: flag \"--v\": give the name without dashes or '='",
			"extraArgs[kubelet]: unknown component",
		}},
		{name: "etcd args with external etcd", mutate: func(c *Config) {
			c.ExternalEtcd = &ExternalEtcd{Endpoints: []string{"https://10.0.1.1:2379"}}
			c.ExtraArgs = map[string]map[string]string{ComponentEtcd: {"quota-backend-bytes": "1"}}
		}, want: []string{"extraArgs[etcd]: set, but etcd is external"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig("1.33.0")
			tc.mutate(&cfg)
			err := cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			if len(ce.Problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d: %v", len(ce.Problems), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if got := errors.Is(err, ErrUnsupportedVersion); got != tc.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupportedVersion) = %v, want %v", got, tc.unsupported)
			}
			if _, err := ControlPlane(cfg); err == nil {
				t.Error("ControlPlane accepted the invalid config")
			}
		})
	}
}
