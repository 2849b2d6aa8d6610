package spec

// KindCluster is the kind of the document that says how a cluster's nodes
// are configured.
const KindCluster = "Cluster"

// Cluster describes one cluster: its endpoint, networks, PKI, etcd,
// control-plane images and nodes. Per-node Ignition configs generated from
// it carry secrets; it is never baked into release artifacts.
type Cluster struct {
	// APIVersion must be slipway.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be Cluster.
	Kind string `json:"kind"`
	// Metadata names the cluster.
	Metadata Metadata `json:"metadata"`
	// Spec is the cluster's configuration.
	Spec ClusterSpec `json:"spec"`

	file string
}

// File returns the path the cluster was loaded from.
func (c *Cluster) File() string { return c.file }

// ClusterSpec configures a cluster.
type ClusterSpec struct {
	// KubernetesVersion of the control plane, e.g. "1.33.0".
	KubernetesVersion string `json:"kubernetesVersion"`
	// ControlPlaneEndpoint is HOST:PORT where clients reach the API
	// servers: a DNS name (a load balancer for HA) or an IP.
	ControlPlaneEndpoint string `json:"controlPlaneEndpoint"`
	// Networking holds the pod and service ranges and the DNS domain.
	Networking Networking `json:"networking,omitempty"`
	// PKI chooses how certificates are made.
	PKI PKI `json:"pki,omitempty"`
	// Etcd is stacked (a version) or external (endpoints).
	Etcd Etcd `json:"etcd,omitempty"`
	// Images overrides the control-plane images.
	Images Images `json:"images,omitempty"`
	// Kubelet overrides fields of the KubeletConfiguration written to
	// every node (kubelet.config.k8s.io/v1beta1, camelCase field names).
	Kubelet *KubeletOverrides `json:"kubelet,omitempty"`
	// SSHAuthorizedKeys are added to the core user on every node.
	SSHAuthorizedKeys []string `json:"sshAuthorizedKeys,omitempty"`
	// Nodes of the cluster; at least one has role control-plane.
	Nodes []Node `json:"nodes"`
}

// Networking holds the cluster's address ranges.
type Networking struct {
	// PodCIDR defaults to 10.244.0.0/16.
	PodCIDR string `json:"podCIDR,omitempty"`
	// ServiceCIDR defaults to 10.96.0.0/12; the API server's service IP
	// is its first address.
	ServiceCIDR string `json:"serviceCIDR,omitempty"`
	// DNSDomain defaults to cluster.local.
	DNSDomain string `json:"dnsDomain,omitempty"`
}

// PKI modes.
const (
	PKIGenerate    = "generate"
	PKIBringYourCA = "byo-ca"
	PKIExternalCA  = "external-ca"
)

// PKI says how the cluster's certificates are made.
type PKI struct {
	// Mode is generate (default: slipway makes every CA and leaf), byo-ca
	// (the CAs' certificates and keys are placed in the PKI directory
	// first) or external-ca (CA certificates without keys: every leaf
	// must be supplied, and the controller manager signs nothing).
	Mode string `json:"mode,omitempty"`
	// KeyAlgorithm is RSA-2048 (default) or ECDSA-P256.
	KeyAlgorithm string `json:"keyAlgorithm,omitempty"`
}

// Etcd configures the cluster's etcd.
type Etcd struct {
	// Version of stacked etcd, e.g. "3.5.16" (3.4, 3.5 and 3.6 are
	// supported). Defaults to the version kubeadm pairs with the
	// Kubernetes minor.
	Version string `json:"version,omitempty"`
	// External uses an existing etcd cluster instead of stacked members.
	External *ExternalEtcd `json:"external,omitempty"`
}

// ExternalEtcd is an etcd cluster run outside the control-plane nodes.
type ExternalEtcd struct {
	// Endpoints are https:// client URLs.
	Endpoints []string `json:"endpoints"`
}

// Images overrides control-plane images. Each defaults to
// registry.k8s.io/<component>:v<kubernetesVersion> (etcd:
// registry.k8s.io/etcd:<version>-0).
type Images struct {
	// Repository replaces registry.k8s.io for every default image.
	Repository            string `json:"repository,omitempty"`
	KubeAPIServer         string `json:"kubeAPIServer,omitempty"`
	KubeControllerManager string `json:"kubeControllerManager,omitempty"`
	KubeScheduler         string `json:"kubeScheduler,omitempty"`
	Etcd                  string `json:"etcd,omitempty"`
}

// KubeletOverrides are merged over slipway's KubeletConfiguration.
type KubeletOverrides struct {
	// Config holds KubeletConfiguration fields, e.g. {maxPods: 200}.
	Config map[string]any `json:"config,omitempty"`
}

// Node roles.
const (
	RoleControlPlane = "control-plane"
	RoleWorker       = "worker"
)

// Node is one machine of the cluster.
type Node struct {
	// Name is the node's hostname and Kubernetes node name (DNS label).
	Name string `json:"name"`
	// Role is control-plane or worker.
	Role string `json:"role"`
	// Address is the node's IP address: it advertises the API server and
	// etcd there and it appears in their certificates.
	Address string `json:"address"`
	// Butane is a Butane config (variant fcos up to 1.4.0 or flatcar
	// 1.0.0) merged into the node's Ignition config.
	Butane string `json:"butane,omitempty"`
}

// ControlPlaneNodes returns the nodes with role control-plane.
func (c *Cluster) ControlPlaneNodes() []Node {
	var out []Node
	for _, n := range c.Spec.Nodes {
		if n.Role == RoleControlPlane {
			out = append(out, n)
		}
	}
	return out
}
