package ignition

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coreos/ignition/v2/config/v3_3/types"

	"github.com/slipway-dev/slipway/internal/staging"
	"github.com/slipway-dev/slipway/manifests"
	"github.com/slipway-dev/slipway/pki"
	"github.com/slipway-dev/slipway/spec"
)

// NodeConfig is one node's generated Ignition config.
type NodeConfig struct {
	Node   string       `json:"node"`
	Role   string       `json:"role"`
	Config types.Config `json:"-"`
	// Files counts the files the config writes.
	Files int `json:"files"`
}

// Generate makes every node's Ignition config from the Cluster document and
// the PKI directory (made by pki.Init): PKI files and kubeconfigs, static
// pods on control-plane nodes (0600 in /etc/kubernetes/manifests), the
// KubeletConfiguration, kubelet's drop-in, the hostname, SSH keys, kubelet
// and containerd enabled, and the node's Butane snippet merged on top.
func Generate(ctx context.Context, c *spec.Cluster, pkiDir string) ([]NodeConfig, error) {
	kubelet, err := KubeletConfig(c.Spec.Networking.ServiceCIDR, c.Spec.Networking.DNSDomain, kubeletOverrides(c))
	if err != nil {
		return nil, err
	}
	var out []NodeConfig
	for _, n := range c.Spec.Nodes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		node, err := nodeInput(c, n, pkiDir, kubelet)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		cfg, err := Build(node)
		if err != nil {
			return nil, err
		}
		out = append(out, NodeConfig{Node: n.Name, Role: n.Role, Config: cfg, Files: len(cfg.Storage.Files)})
	}
	return out, nil
}

func kubeletOverrides(c *spec.Cluster) map[string]any {
	if c.Spec.Kubelet == nil {
		return nil
	}
	return c.Spec.Kubelet.Config
}

func nodeInput(c *spec.Cluster, n spec.Node, pkiDir string, kubelet []byte) (Node, error) {
	files, externalCA, err := pkiFiles(c, n, pkiDir)
	if err != nil {
		return Node{}, err
	}
	files = append(files, File{Path: KubeletConfigPath, Mode: 0o644, Contents: kubelet})
	if n.Role == spec.RoleControlPlane {
		pods, err := staticPods(c, n, externalCA)
		if err != nil {
			return Node{}, err
		}
		files = append(files, pods...)
	}
	return Node{
		Name:  n.Name,
		Files: files,
		Units: []Unit{
			{Name: "containerd.service", Enabled: true},
			{Name: "kubelet.service", Enabled: true, DropIns: map[string]string{"20-slipway.conf": kubeletDropIn(n)}},
		},
		SSHAuthorizedKeys: c.Spec.SSHAuthorizedKeys,
		Butane:            n.Butane,
	}, nil
}

// kubeletDropIn runs kubelet with the node's own kubeconfig and config;
// it comes after kubeadm's 10-kubeadm.conf, so its ExecStart wins.
func kubeletDropIn(n spec.Node) string {
	return fmt.Sprintf(`[Service]
ExecStart=
ExecStart=/usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf --config=%s --node-ip=%s --hostname-override=%s
`, KubeletConfigPath, n.Address, n.Name)
}

// pkiFiles reads the node's files from the PKI directory. An absent CA
// key means that CA is external.
func pkiFiles(c *spec.Cluster, n spec.Node, dir string) ([]File, bool, error) {
	list, err := pki.NodeFiles(pki.FromCluster(c), n.Name)
	if err != nil {
		return nil, false, err
	}
	var out []File
	externalCA := false
	for _, f := range list {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Source)))
		if os.IsNotExist(err) && f.Optional {
			if f.Source == "ca.key" {
				externalCA = true
			}
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading the PKI (run slipway pki init first): %w", err)
		}
		out = append(out, File{Path: f.Dest, Mode: int(f.Mode), Contents: b})
	}
	return out, externalCA, nil
}

// staticPods renders the control plane of node n.
func staticPods(c *spec.Cluster, n spec.Node, externalCA bool) ([]File, error) {
	pods, err := manifests.ControlPlane(ManifestsConfig(c, n, externalCA))
	if err != nil {
		return nil, err
	}
	var out []File
	for _, p := range pods {
		b, err := manifests.Marshal(p)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(p.Name, "-"+n.Name)
		out = append(out, File{Path: path.Join("/etc/kubernetes/manifests", name+".yaml"), Mode: 0o600, Contents: b})
	}
	return out, nil
}

// ManifestsConfig returns the static-pod configuration of control-plane
// node n.
func ManifestsConfig(c *spec.Cluster, n spec.Node, externalCA bool) manifests.Config {
	s := c.Spec
	cfg := manifests.Config{
		KubernetesVersion: s.KubernetesVersion,
		EtcdVersion:       s.Etcd.Version,
		Node:              manifests.Node{Name: n.Name, Address: n.Address},
		ServiceCIDR:       s.Networking.ServiceCIDR,
		PodCIDR:           s.Networking.PodCIDR,
		DNSDomain:         s.Networking.DNSDomain,
		ClusterName:       c.Metadata.Name,
		ExternalCA:        externalCA,
		Images: manifests.Images{APIServer: s.Images.KubeAPIServer, ControllerManager: s.Images.KubeControllerManager,
			Scheduler: s.Images.KubeScheduler, Etcd: s.Images.Etcd},
	}
	for _, cp := range c.ControlPlaneNodes() {
		cfg.ControlPlane = append(cfg.ControlPlane, manifests.Node{Name: cp.Name, Address: cp.Address})
	}
	if e := s.Etcd.External; e != nil {
		cfg.EtcdVersion = ""
		cfg.ExternalEtcd = &manifests.ExternalEtcd{Endpoints: e.Endpoints,
			CAFile:   "/etc/kubernetes/pki/etcd/ca.crt",
			CertFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
			KeyFile:  "/etc/kubernetes/pki/apiserver-etcd-client.key"}
	}
	return cfg
}

// Write stores each config as DIR/NODE.ign (0600: they hold private keys),
// all or nothing.
func Write(dir string, configs []NodeConfig) error {
	stage, err := staging.New(dir)
	if err != nil {
		return err
	}
	defer stage.Abort()
	for _, nc := range configs {
		b, err := Marshal(nc.Config)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(stage.Path, nc.Node+".ign"), b, 0o600); err != nil {
			return fmt.Errorf("writing %s.ign: %w", nc.Node, err)
		}
	}
	return stage.Commit()
}
