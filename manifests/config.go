// Package manifests builds the control-plane static pods (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) as typed corev1.Pod objects, the way
// kubeadm generates them for the targeted Kubernetes minor and etcd version.
//
// Everything here is pure: a Config goes in, pods and bytes come out. Writing a
// manifest onto a node (atomic rename) is the caller's job.
package manifests

// Component names, used as pod names, container names, the "component" label
// and the keys of Config.ExtraArgs.
const (
	ComponentEtcd              = "etcd"
	ComponentAPIServer         = "kube-apiserver"
	ComponentControllerManager = "kube-controller-manager"
	ComponentScheduler         = "kube-scheduler"
)

// Defaults applied by Config when a field is left empty.
const (
	DefaultPKIDir        = "/etc/kubernetes/pki"
	DefaultEtcdDataDir   = "/var/lib/etcd"
	DefaultServiceCIDR   = "10.96.0.0/12"
	DefaultDNSDomain     = "cluster.local"
	DefaultClusterName   = "kubernetes"
	DefaultImageRegistry = "registry.k8s.io"
)

// Fixed ports and paths, the same constants kubeadm uses.
const (
	APIServerPort         = 6443
	ControllerManagerPort = 10257
	SchedulerPort         = 10259
	EtcdClientPort        = 2379
	EtcdPeerPort          = 2380
	EtcdMetricsPort       = 2381
	KubernetesDir         = "/etc/kubernetes"
)

// Config is everything the manifests depend on. Zero values take the documented
// defaults; Validate reports every problem at once.
type Config struct {
	// KubernetesVersion such as "1.33.0" (a leading "v" is accepted) selects
	// the flag table of its minor. Required.
	KubernetesVersion string
	// EtcdVersion such as "3.5.16" selects the etcd profile (3.4, 3.5, 3.6).
	// Defaults to the etcd kubeadm pairs with the Kubernetes minor.
	EtcdVersion string
	// Node is the control-plane node these manifests are for. Required.
	Node Node
	// ControlPlane lists every control-plane node; etcd's initial cluster spans
	// all of them. Defaults to just Node. Node must be one of them.
	ControlPlane []Node
	// ExternalEtcd, when set, means no etcd pod: the apiserver talks to these
	// endpoints. Nil (the default) is stacked etcd on every control-plane node.
	ExternalEtcd *ExternalEtcd
	// ServiceCIDR defaults to DefaultServiceCIDR (10.96.0.0/12).
	ServiceCIDR string
	// PodCIDR, when set, makes the controller manager allocate node CIDRs from
	// it (--allocate-node-cidrs, --cluster-cidr). Empty by default.
	PodCIDR string
	// DNSDomain defaults to DefaultDNSDomain (cluster.local); it names the
	// service-account issuer.
	DNSDomain string
	// ClusterName defaults to DefaultClusterName (kubernetes).
	ClusterName string
	// Images overrides image references; see Images for defaults.
	Images Images
	// ExternalCA, like kubeadm without ca.key, empties the controller manager's
	// --cluster-signing-cert-file and --cluster-signing-key-file so its CSR
	// signer does not start. False by default.
	ExternalCA bool
	// PKIDir defaults to DefaultPKIDir (/etc/kubernetes/pki).
	PKIDir string
	// EtcdDataDir defaults to DefaultEtcdDataDir (/var/lib/etcd).
	EtcdDataDir string
	// ExtraArgs holds per-component flag overrides keyed by component name
	// (ComponentEtcd, ComponentAPIServer, ...) then flag name without dashes.
	// They replace or add to the generated flags, like kubeadm's extraArgs.
	ExtraArgs map[string]map[string]string
}

// Node is one control-plane machine.
type Node struct {
	// Name is the node name; it is also the etcd member name. Required.
	Name string
	// Address is the node's IP (v4 or v6), used to advertise the apiserver and
	// etcd. Required; it must be a specific unicast address.
	Address string
}

// ExternalEtcd points the apiserver at an etcd cluster it does not run.
type ExternalEtcd struct {
	// Endpoints are client URLs such as https://10.0.0.5:2379. At least one.
	Endpoints []string
	// CAFile, CertFile and KeyFile are host paths of the apiserver's etcd
	// client credentials. All optional; CertFile and KeyFile go together.
	CAFile, CertFile, KeyFile string
}

// Images are full image references. Each empty field defaults to
// registry.k8s.io/<component>:v<KubernetesVersion>, and Etcd to
// registry.k8s.io/etcd:<EtcdVersion>-0.
type Images struct {
	APIServer, ControllerManager, Scheduler, Etcd string
}

// withDefaults returns a copy of cfg with every empty field filled in. It
// expects versions that parse; Validate runs first.
func (cfg Config) withDefaults(kube kubeMinor) Config {
	out := cfg
	setDefault(&out.EtcdVersion, kube.defaultEtcd)
	setDefault(&out.ServiceCIDR, DefaultServiceCIDR)
	setDefault(&out.DNSDomain, DefaultDNSDomain)
	setDefault(&out.ClusterName, DefaultClusterName)
	setDefault(&out.PKIDir, DefaultPKIDir)
	setDefault(&out.EtcdDataDir, DefaultEtcdDataDir)
	if len(out.ControlPlane) == 0 {
		out.ControlPlane = []Node{out.Node}
	}
	kv := "v" + trimV(out.KubernetesVersion)
	setDefault(&out.Images.APIServer, DefaultImageRegistry+"/kube-apiserver:"+kv)
	setDefault(&out.Images.ControllerManager, DefaultImageRegistry+"/kube-controller-manager:"+kv)
	setDefault(&out.Images.Scheduler, DefaultImageRegistry+"/kube-scheduler:"+kv)
	setDefault(&out.Images.Etcd, DefaultImageRegistry+"/etcd:"+trimV(out.EtcdVersion)+"-0")
	return out
}

func setDefault(field *string, value string) {
	if *field == "" {
		*field = value
	}
}
