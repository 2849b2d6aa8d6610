package pki

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Directories on a node, as kubeadm uses them.
const (
	NodeKubernetesDir = "/etc/kubernetes"
	NodePKIDir        = "/etc/kubernetes/pki"
)

// NodeFile is one file of the PKI directory and where it belongs on a node.
type NodeFile struct {
	// Source is the path relative to the PKI dir, slash-separated.
	Source string
	// Dest is the absolute path on the node.
	Dest string
	// Mode is 0600 for keys and kubeconfigs, 0644 for certificates.
	Mode fs.FileMode
	// Optional marks a CA key, absent when that CA is external: skip it
	// when the PKI dir does not hold it.
	Optional bool
}

// clusterFiles are the shared files every control-plane node gets, as
// kubeadm copies them to joining control planes, plus admin.conf.
var clusterFiles = []NodeFile{
	{Source: "ca.crt"}, {Source: "ca.key", Optional: true},
	{Source: "front-proxy-ca.crt"}, {Source: "front-proxy-ca.key", Optional: true},
	{Source: "etcd/ca.crt"}, {Source: "etcd/ca.key", Optional: true},
	{Source: "sa.key"}, {Source: "sa.pub"}, {Source: "admin.conf"},
}

// NodeFiles lists, sorted by destination, the files node name needs:
// control-plane nodes get the CAs (keys optional), sa.key/sa.pub,
// admin.conf and their leaves in /etc/kubernetes/pki and kubeconfigs in
// /etc/kubernetes; workers get ca.crt and kubelet.conf. super-admin.conf
// stays off the nodes (kubeadm leaves it on the first control plane only;
// it is a break-glass credential). It reads no files.
func NodeFiles(cfg Config, name string) ([]NodeFile, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("validating pki config: %w", err)
	}
	i := slices.IndexFunc(r.Nodes, func(n Node) bool { return n.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("listing node files: no node %q", name)
	}
	var out []NodeFile
	shared := clusterFiles[:1]
	if r.Nodes[i].ControlPlane {
		shared = clusterFiles
	}
	for _, f := range shared {
		out = append(out, placed(f, f.Source))
	}
	for _, t := range r.targets() {
		if t.node != nil && t.node.Name == name {
			for _, src := range t.files() {
				out = append(out, placed(NodeFile{Source: src}, strings.TrimPrefix(src, "nodes/"+name+"/")))
			}
		}
	}
	slices.SortFunc(out, func(a, b NodeFile) int { return strings.Compare(a.Dest, b.Dest) })
	return out, nil
}

// placed fills f's destination (rel under the node's pki or kubernetes
// dir) and mode.
func placed(f NodeFile, rel string) NodeFile {
	f.Dest, f.Mode = path.Join(NodePKIDir, rel), modeCert
	if strings.HasSuffix(rel, ".conf") {
		f.Dest = path.Join(NodeKubernetesDir, rel)
	}
	if strings.HasSuffix(rel, ".key") || strings.HasSuffix(rel, ".conf") {
		f.Mode = modeKey
	}
	return f
}
