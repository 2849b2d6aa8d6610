package spec

import (
	"fmt"
	"os"
)

// DefaultEtcdVersions is the etcd version kubeadm pairs with each
// Kubernetes minor (cmd/kubeadm/app/constants SupportedEtcdVersion); it is
// also the set of minors slipway generates control planes for.
//
// It must match manifests' version table (a test in ignition checks).
var DefaultEtcdVersions = map[int]string{
	30: "3.5.15",
	31: "3.5.15",
	32: "3.5.16",
	33: "3.5.21",
	34: "3.6.4",
}

// LoadCluster reads the kind: Cluster document from a YAML file that may
// hold several documents, with defaults filled in. Like LoadRelease, it
// reports every problem with file:line:column and a field path.
func LoadCluster(path string) (*Cluster, *Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading spec: %w", err)
	}
	return ParseCluster(path, data)
}

// ParseCluster is LoadCluster on bytes.
func ParseCluster(file string, data []byte) (*Cluster, *Report, error) {
	c := &Cluster{file: file}
	report, err := parseDocument(file, data, KindCluster, c, func(v *validator) { v.cluster(c) })
	if err != nil {
		return nil, report, err
	}
	c.setDefaults()
	return c, report, nil
}

// setDefaults fills in what the document leaves out.
func (c *Cluster) setDefaults() {
	s := &c.Spec
	if s.Networking.PodCIDR == "" {
		s.Networking.PodCIDR = "10.244.0.0/16"
	}
	if s.Networking.ServiceCIDR == "" {
		s.Networking.ServiceCIDR = "10.96.0.0/12"
	}
	if s.Networking.DNSDomain == "" {
		s.Networking.DNSDomain = "cluster.local"
	}
	if s.PKI.Mode == "" {
		s.PKI.Mode = PKIGenerate
	}
	if s.PKI.KeyAlgorithm == "" {
		s.PKI.KeyAlgorithm = KeyRSA2048
	}
	if s.Etcd.External == nil && s.Etcd.Version == "" {
		if v, err := ParseVersion(s.KubernetesVersion); err == nil {
			s.Etcd.Version = DefaultEtcdVersions[v.Minor]
		}
	}
	repo := s.Images.Repository
	if repo == "" {
		repo = "registry.k8s.io"
	}
	for _, im := range []struct {
		dst  *string
		name string
		tag  string
	}{
		{&s.Images.KubeAPIServer, "kube-apiserver", "v" + s.KubernetesVersion},
		{&s.Images.KubeControllerManager, "kube-controller-manager", "v" + s.KubernetesVersion},
		{&s.Images.KubeScheduler, "kube-scheduler", "v" + s.KubernetesVersion},
		{&s.Images.Etcd, "etcd", s.Etcd.Version + "-0"},
	} {
		if *im.dst == "" {
			*im.dst = repo + "/" + im.name + ":" + im.tag
		}
	}
}

// Key algorithms for the cluster's PKI.
const (
	KeyRSA2048   = "RSA-2048"
	KeyECDSAP256 = "ECDSA-P256"
)
