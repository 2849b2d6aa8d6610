package pki

import (
	"crypto/x509"
	"strings"
)

// CA names, as kubeadm's certificate list calls them.
const (
	CAKubernetes = "ca"
	CAFrontProxy = "front-proxy-ca"
	CAEtcd       = "etcd-ca"
)

// caSpec is one certificate authority.
type caSpec struct {
	Name string // kubeadm's name
	Base string // path without extension, relative to the PKI dir
	CN   string
}

// caTable lists the CAs, as kubeadm's GetDefaultCertList.
var caTable = []caSpec{
	{Name: CAKubernetes, Base: "ca", CN: "kubernetes"},
	{Name: CAFrontProxy, Base: "front-proxy-ca", CN: "front-proxy-ca"},
	{Name: CAEtcd, Base: "etcd/ca", CN: "etcd-ca"},
}

// scope says where a leaf is issued.
type scope int

const (
	scopeCluster      scope = iota // once, at the root of the PKI dir
	scopeControlPlane              // once per control-plane node
	scopeEveryNode                 // once per node
)

// sanSet names the function computing a leaf's subject alternative names.
type sanSet int

const (
	sanNone sanSet = iota
	sanAPIServer
	sanEtcd
)

// serverKind says which URL a kubeconfig points at.
type serverKind int

const (
	serverNone     serverKind = iota // not a kubeconfig
	serverEndpoint                   // the control-plane endpoint
	serverLocal                      // the node's own API server
)

// Groups kubeadm puts in certificate subjects.
const (
	groupClusterAdmins = "kubeadm:cluster-admins"
	groupMasters       = "system:masters"
	groupNodes         = "system:nodes"
)

var (
	usageServer = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	usageClient = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	usageBoth   = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
)

// leafSpec is one leaf certificate or kubeconfig.
type leafSpec struct {
	Name   string // kubeadm's name; Renew takes it
	File   string // path relative to the node (or root) dir: "etcd/server" (+.crt/.key) or "admin.conf"
	CA     string
	CN     string // "{node}" is replaced by the node name
	Org    []string
	Usages []x509.ExtKeyUsage
	SANs   sanSet
	Scope  scope
	Server serverKind // serverNone for a certificate pair
}

// leafTable is kubeadm's certificate list (cmd/kubeadm/app/phases/certs/
// certlist.go, v1.29+) and kubeconfig list (phases/kubeconfig), in
// kubeadm's order.
var leafTable = []leafSpec{
	{Name: "apiserver", File: "apiserver", CA: CAKubernetes, CN: "kube-apiserver",
		Usages: usageServer, SANs: sanAPIServer, Scope: scopeControlPlane},
	{Name: "apiserver-kubelet-client", File: "apiserver-kubelet-client", CA: CAKubernetes,
		CN: "kube-apiserver-kubelet-client", Org: []string{groupClusterAdmins},
		Usages: usageClient, Scope: scopeControlPlane},
	{Name: "front-proxy-client", File: "front-proxy-client", CA: CAFrontProxy,
		CN: "front-proxy-client", Usages: usageClient, Scope: scopeControlPlane},
	{Name: "etcd-server", File: "etcd/server", CA: CAEtcd, CN: "{node}",
		Usages: usageBoth, SANs: sanEtcd, Scope: scopeControlPlane},
	{Name: "etcd-peer", File: "etcd/peer", CA: CAEtcd, CN: "{node}",
		Usages: usageBoth, SANs: sanEtcd, Scope: scopeControlPlane},
	{Name: "etcd-healthcheck-client", File: "etcd/healthcheck-client", CA: CAEtcd,
		CN: "kube-etcd-healthcheck-client", Usages: usageClient, Scope: scopeControlPlane},
	{Name: "apiserver-etcd-client", File: "apiserver-etcd-client", CA: CAEtcd,
		CN: "kube-apiserver-etcd-client", Usages: usageClient, Scope: scopeControlPlane},
	{Name: "admin.conf", File: "admin.conf", CA: CAKubernetes, CN: "kubernetes-admin",
		Org: []string{groupClusterAdmins}, Usages: usageClient, Scope: scopeCluster, Server: serverEndpoint},
	{Name: "super-admin.conf", File: "super-admin.conf", CA: CAKubernetes, CN: "kubernetes-super-admin",
		Org: []string{groupMasters}, Usages: usageClient, Scope: scopeCluster, Server: serverEndpoint},
	{Name: "controller-manager.conf", File: "controller-manager.conf", CA: CAKubernetes,
		CN: "system:kube-controller-manager", Usages: usageClient, Scope: scopeControlPlane, Server: serverLocal},
	{Name: "scheduler.conf", File: "scheduler.conf", CA: CAKubernetes,
		CN: "system:kube-scheduler", Usages: usageClient, Scope: scopeControlPlane, Server: serverLocal},
	{Name: "kubelet.conf", File: "kubelet.conf", CA: CAKubernetes, CN: "system:node:{node}",
		Org: []string{groupNodes}, Usages: usageClient, Scope: scopeEveryNode, Server: serverEndpoint},
}

// target is one leaf spec instantiated for a node (or the cluster).
type target struct {
	spec *leafSpec
	node *Node // nil for scopeCluster
}

// isKubeconfig reports whether t is a kubeconfig rather than a cert pair.
func (t target) isKubeconfig() bool { return t.spec.Server != serverNone }

// base is t's path relative to the PKI dir, without extension for pairs.
func (t target) base() string {
	if t.node == nil {
		return t.spec.File
	}
	return "nodes/" + t.node.Name + "/" + t.spec.File
}

// files lists the files t consists of, relative to the PKI dir.
func (t target) files() []string {
	if t.isKubeconfig() {
		return []string{t.base()}
	}
	return []string{t.base() + ".crt", t.base() + ".key"}
}

// commonName is t's subject CN.
func (t target) commonName() string {
	if t.node == nil {
		return t.spec.CN
	}
	return strings.ReplaceAll(t.spec.CN, "{node}", t.node.Name)
}

// targets instantiates the leaf table for r's nodes, in table order and
// then node order.
func (r *resolved) targets() []target {
	var out []target
	for i := range leafTable {
		s := &leafTable[i]
		if s.Scope == scopeCluster {
			out = append(out, target{spec: s})
			continue
		}
		for j := range r.Nodes {
			n := &r.Nodes[j]
			if s.Scope == scopeEveryNode || n.ControlPlane {
				out = append(out, target{spec: s, node: n})
			}
		}
	}
	return out
}
