package spec

import (
	"strings"
	"testing"
)

func TestExampleCluster(t *testing.T) {
	c, report, err := LoadCluster("../examples/cluster.yaml")
	if err != nil {
		t.Fatalf("%v", err)
	}
	if len(report.Problems) != 0 {
		t.Fatalf("problems:\n%s", report)
	}
	s := c.Spec
	if s.Etcd.Version != "3.5.21" || s.Images.KubeAPIServer != "registry.k8s.io/kube-apiserver:v1.33.0" ||
		s.Images.Etcd != "registry.k8s.io/etcd:3.5.21-0" || s.Networking.DNSDomain != "cluster.local" || s.PKI.Mode != PKIGenerate {
		t.Fatalf("defaults not filled: %+v", s)
	}
	if len(c.ControlPlaneNodes()) != 1 || s.Kubelet.Config["maxPods"] != float64(150) {
		t.Fatalf("nodes/kubelet: %+v", s)
	}
}

const validCluster = `apiVersion: slipway.dev/v1alpha1
kind: Cluster
metadata:
  name: demo
spec:
  kubernetesVersion: 1.33.0
  controlPlaneEndpoint: cp.demo.internal:6443
  networking:
    podCIDR: 10.244.0.0/16
    serviceCIDR: 10.96.0.0/12
  nodes:
    - name: cp1
      role: control-plane
      address: 10.0.0.11
      butane: |
        variant: fcos
        version: 1.4.0
    - name: w1
      role: worker
      address: 10.0.0.21
`

func TestClusterInvalid(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"duplicate node names", "name: w1", "name: cp1", []string{`spec.nodes[1].name: duplicate node name "cp1"`}},
		{"endpoint without port", "cp.demo.internal:6443", "cp.demo.internal", []string{`"cp.demo.internal" must be HOST:PORT, e.g. cp.demo.internal:6443`}},
		{"endpoint bad port", "cp.demo.internal:6443", "cp.demo.internal:99999", []string{`port "99999" must be a number from 1 to 65535`}},
		{"endpoint bad host", "cp.demo.internal:6443", "cp_demo:6443", []string{`host "cp_demo" is neither an IP address nor a DNS name`}},
		{"overlapping CIDRs", "serviceCIDR: 10.96.0.0/12", "serviceCIDR: 10.244.128.0/20", []string{"spec.networking.serviceCIDR: 10.244.128.0/20 overlaps podCIDR 10.244.0.0/16"}},
		{"bad CIDR", "podCIDR: 10.244.0.0/16", "podCIDR: 10.244.0.0", []string{`"10.244.0.0" is not a CIDR`}},
		{"host bits set", "podCIDR: 10.244.0.0/16", "podCIDR: 10.244.1.0/16", []string{`has host bits set: write 10.244.0.0/16`}},
		{"no control plane", "role: control-plane", "role: worker", []string{"no node has role control-plane"}},
		{"unknown role", "role: control-plane", "role: master", []string{`role "master" must be control-plane or worker`}},
		{"unknown minor", "kubernetesVersion: 1.33.0", "kubernetesVersion: 1.25.0", []string{"Kubernetes 1.25 is not supported: slipway generates control planes for 1.30, 1.31, 1.32, 1.33, 1.34"}},
		{"bad address", "address: 10.0.0.21", "address: worker-one", []string{`spec.nodes[1].address: "worker-one" is not an IP address`}},
		{"duplicate address", "address: 10.0.0.21", "address: 10.0.0.11", []string{"address 10.0.0.11 is also node cp1's"}},
		{"no nodes", "  nodes:\n", "  nodez:\n", []string{`unknown field "nodez"`, "spec.nodes: is required"}},
		{"unknown pki mode", "  nodes:\n", "  pki: {mode: vault}\n  nodes:\n", []string{`unknown mode "vault"`}},
		{"unknown key algorithm", "  nodes:\n", "  pki: {keyAlgorithm: RSA-1024}\n  nodes:\n", []string{`unknown key algorithm "RSA-1024"`}},
		{"etcd version and external", "  nodes:\n", "  etcd: {version: 3.5.21, external: {endpoints: [\"https://e:2379\"]}}\n  nodes:\n", []string{"give either version (stacked etcd) or external, not both"}},
		{"external etcd without https", "  nodes:\n", "  etcd: {external: {endpoints: [\"http://e:2379\"]}}\n  nodes:\n", []string{`"http://e:2379" must be an https:// URL`}},
		{"unsupported etcd", "  nodes:\n", "  etcd: {version: 3.3.0}\n  nodes:\n", []string{"etcd 3.3 is not supported"}},
		{"bad image", "  nodes:\n", "  images: {kubeAPIServer: \"my image\"}\n  nodes:\n", []string{`spec.images.kubeAPIServer: "my image" must be an image reference`}},
		{"bad node name", "name: w1", "name: Worker_1", []string{`"Worker_1" must be a DNS label`}},
		{"bad dns domain", "    serviceCIDR: 10.96.0.0/12\n", "    serviceCIDR: 10.96.0.0/12\n    dnsDomain: -bad-\n", []string{`"-bad-" is not a DNS name`}},
		{"bad butane yaml", "        version: 1.4.0\n", "        version: 1.4.0\n        storage: [\n", []string{"spec.nodes[0].butane"}},
		{"butane newer than ignition 3.3", "        version: 1.4.0\n", "        version: 1.5.0\n", []string{"newer than 3.3.0"}},
		{"butane unknown variant", "variant: fcos", "variant: nosuch", []string{"spec.nodes[0].butane"}},
		{"butane disks refused", "        version: 1.4.0\n", "        version: 1.4.0\n        storage:\n          disks:\n            - device: /dev/vdb\n              wipe_table: true\n", []string{"storage.disks is not supported"}},
		{"butane luks refused", "        version: 1.4.0\n", "        version: 1.4.0\n        storage:\n          luks:\n            - name: data\n              device: /dev/vdb\n", []string{"storage.luks is not supported"}},
		{"wrong type", "kubernetesVersion: 1.33.0", "kubernetesVersion: 1.33", []string{"must be a string, not number 1.33"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectInvalid(t, validCluster, c.old, c.new, c.want, func(doc []byte) (*Report, error) {
				_, r, err := ParseCluster("cluster.yaml", doc)
				return r, err
			})
		})
	}
}

// TestButaneLine: a Butane problem points at the user's line in the
// cluster file, not at the snippet's.
func TestButaneLine(t *testing.T) {
	doc := strings.Replace(validCluster, "        version: 1.4.0\n", "        version: 1.4.0\n        storage:\n          files:\n            - path: relative/motd\n", 1)
	_, report, err := ParseCluster("cluster.yaml", []byte(doc))
	if err == nil {
		t.Fatal("relative path accepted")
	}
	// The bad path is on line 20 of the cluster file.
	if !strings.Contains(report.String(), "cluster.yaml:20:") {
		t.Fatalf("report does not point at line 20:\n%s", report)
	}
}

func TestClusterWarnings(t *testing.T) {
	doc := strings.Replace(validCluster, "name: w1\n      role: worker", "name: cp2\n      role: control-plane", 1)
	doc = strings.Replace(doc, "cp.demo.internal:6443", "10.0.0.100:6443", 1)
	_, report, err := ParseCluster("cluster.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := report.String()
	for _, w := range []string{"use a load balancer's DNS name", "use an odd number"} {
		if !strings.Contains(got, w) {
			t.Errorf("warnings lack %q:\n%s", w, got)
		}
	}
}

func FuzzParseCluster(f *testing.F) {
	f.Add([]byte(validCluster))
	f.Add([]byte("kind: Cluster\nspec: {nodes: [{name: a, butane: \"variant: fcos\"}]}\n"))
	f.Add([]byte("kind: Cluster\nspec: {networking: {podCIDR: 1.2.3.4/40}, kubelet: {config: [1]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, report, err := ParseCluster("fuzz.yaml", data)
		if err == nil && c == nil {
			t.Fatal("nil cluster without error")
		}
		if err == nil && report.IsFatal() {
			t.Fatal("errors reported but document accepted")
		}
		if c != nil {
			_ = c.ControlPlaneNodes()
		}
	})
}
