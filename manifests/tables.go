package manifests

import (
	"path"
	"sort"
	"strings"
)

// The flag tables. Kubernetes rows compare the Kubernetes minor; none of
// kubeadm's default apiserver, controller-manager or scheduler flags changed
// between 1.30 and 1.34, so every row there is open on both ends. The etcd
// rows compare the etcd minor: 3.6 turned the experimental flags kubeadm sets
// into a feature gate and a plain flag.

var (
	etcd36 = version{3, 6, 0}
)

// apiServerFlags are kube-apiserver's flags (cmd/kubeadm/app/phases/
// controlplane/manifests.go, getAPIServerCommand).
var apiServerFlags = []flagRow{
	{name: "advertise-address", value: env.address},
	{name: "allow-privileged", value: lit("true")},
	{name: "authorization-mode", value: lit("Node,RBAC"), when: noAuthzConfig},
	{name: "client-ca-file", value: pki("ca.crt")},
	{name: "enable-admission-plugins", value: lit("NodeRestriction")},
	{name: "enable-bootstrap-token-auth", value: lit("true")},
	{name: "etcd-cafile", value: pki("etcd/ca.crt"), when: stacked},
	{name: "etcd-certfile", value: pki("apiserver-etcd-client.crt"), when: stacked},
	{name: "etcd-keyfile", value: pki("apiserver-etcd-client.key"), when: stacked},
	{name: "etcd-servers", value: localEtcdServers, when: stacked},
	{name: "etcd-servers", value: externalEndpoints, when: external},
	{name: "etcd-cafile", value: externalCA, when: externalHasCA},
	{name: "etcd-certfile", value: externalCert, when: externalHasCert},
	{name: "etcd-keyfile", value: externalKey, when: externalHasCert},
	{name: "kubelet-client-certificate", value: pki("apiserver-kubelet-client.crt")},
	{name: "kubelet-client-key", value: pki("apiserver-kubelet-client.key")},
	{name: "kubelet-preferred-address-types", value: lit("InternalIP,ExternalIP,Hostname")},
	{name: "proxy-client-cert-file", value: pki("front-proxy-client.crt")},
	{name: "proxy-client-key-file", value: pki("front-proxy-client.key")},
	{name: "requestheader-allowed-names", value: lit("front-proxy-client")},
	{name: "requestheader-client-ca-file", value: pki("front-proxy-ca.crt")},
	{name: "requestheader-extra-headers-prefix", value: lit("X-Remote-Extra-")},
	{name: "requestheader-group-headers", value: lit("X-Remote-Group")},
	{name: "requestheader-username-headers", value: lit("X-Remote-User")},
	{name: "secure-port", value: lit("6443")},
	{name: "service-account-issuer", value: serviceAccountIssuer},
	{name: "service-account-key-file", value: pki("sa.pub")},
	{name: "service-account-signing-key-file", value: pki("sa.key")},
	{name: "service-cluster-ip-range", value: serviceCIDR},
	{name: "tls-cert-file", value: pki("apiserver.crt")},
	{name: "tls-private-key-file", value: pki("apiserver.key")},
}

// controllerManagerFlags are kube-controller-manager's flags
// (getControllerManagerCommand).
var controllerManagerFlags = []flagRow{
	{name: "allocate-node-cidrs", value: lit("true"), when: hasPodCIDR},
	{name: "authentication-kubeconfig", value: kubeconfig("controller-manager.conf")},
	{name: "authorization-kubeconfig", value: kubeconfig("controller-manager.conf")},
	{name: "bind-address", value: lit("127.0.0.1")},
	{name: "client-ca-file", value: pki("ca.crt")},
	{name: "cluster-cidr", value: podCIDR, when: hasPodCIDR},
	{name: "cluster-name", value: clusterName},
	{name: "cluster-signing-cert-file", value: signing("ca.crt")},
	{name: "cluster-signing-key-file", value: signing("ca.key")},
	{name: "controllers", value: lit("*,bootstrapsigner,tokencleaner")},
	{name: "kubeconfig", value: kubeconfig("controller-manager.conf")},
	{name: "leader-elect", value: lit("true")},
	{name: "requestheader-client-ca-file", value: pki("front-proxy-ca.crt")},
	{name: "root-ca-file", value: pki("ca.crt")},
	{name: "service-account-private-key-file", value: pki("sa.key")},
	{name: "service-cluster-ip-range", value: serviceCIDR, when: hasPodCIDR},
	{name: "use-service-account-credentials", value: lit("true")},
}

// schedulerFlags are kube-scheduler's flags (getSchedulerCommand).
var schedulerFlags = []flagRow{
	{name: "authentication-kubeconfig", value: kubeconfig("scheduler.conf")},
	{name: "authorization-kubeconfig", value: kubeconfig("scheduler.conf")},
	{name: "bind-address", value: lit("127.0.0.1")},
	{name: "kubeconfig", value: kubeconfig("scheduler.conf")},
	{name: "leader-elect", value: lit("true")},
}

// etcdFlags are etcd's flags (cmd/kubeadm/app/phases/etcd/local.go,
// getEtcdCommand), keyed by etcd minor. Debian's etcd 3.4.23 accepts every
// 3.4 row (proven by TestEtcdFlagsRealEtcd).
var etcdFlags = []flagRow{
	{name: "advertise-client-urls", value: clientURL},
	{name: "cert-file", value: pki("etcd/server.crt")},
	{name: "client-cert-auth", value: lit("true")},
	{name: "data-dir", value: dataDir},
	{name: "experimental-initial-corrupt-check", value: lit("true"), to: etcd36},
	{name: "feature-gates", value: lit("InitialCorruptCheck=true"), from: etcd36},
	{name: "experimental-watch-progress-notify-interval", value: lit("5s"), to: etcd36},
	{name: "watch-progress-notify-interval", value: lit("5s"), from: etcd36},
	{name: "initial-advertise-peer-urls", value: peerURL},
	{name: "initial-cluster", value: initialCluster},
	{name: "initial-cluster-state", value: lit("new"), when: multiNode},
	{name: "key-file", value: pki("etcd/server.key")},
	{name: "listen-client-urls", value: listenClientURLs},
	{name: "listen-metrics-urls", value: metricsURL},
	{name: "listen-peer-urls", value: peerURL},
	{name: "name", value: nodeName},
	{name: "peer-cert-file", value: pki("etcd/peer.crt")},
	{name: "peer-client-cert-auth", value: lit("true")},
	{name: "peer-key-file", value: pki("etcd/peer.key")},
	{name: "peer-trusted-ca-file", value: pki("etcd/ca.crt")},
	{name: "snapshot-count", value: lit("10000")},
	{name: "trusted-ca-file", value: pki("etcd/ca.crt")},
}

// Values of the Kubernetes tables.

func serviceCIDR(e env) string          { return e.cfg.ServiceCIDR }
func podCIDR(e env) string              { return e.cfg.PodCIDR }
func clusterName(e env) string          { return e.cfg.ClusterName }
func serviceAccountIssuer(e env) string { return "https://kubernetes.default.svc." + e.cfg.DNSDomain }

// noAuthzConfig holds unless kube-apiserver gets --authorization-config,
// which excludes --authorization-mode.
func noAuthzConfig(e env) bool {
	_, set := e.extra(ComponentAPIServer, "authorization-config")
	return !set
}

// localEtcdServers is the local etcd member, or the etcd advertise URL the
// user overrode, as kubeadm does.
func localEtcdServers(e env) string {
	if v, ok := e.extra(ComponentEtcd, "advertise-client-urls"); ok {
		return v
	}
	return "https://" + hostPort(e.loopback(), EtcdClientPort)
}

func externalEndpoints(e env) string { return strings.Join(e.cfg.ExternalEtcd.Endpoints, ",") }
func externalCA(e env) string        { return e.cfg.ExternalEtcd.CAFile }
func externalCert(e env) string      { return e.cfg.ExternalEtcd.CertFile }
func externalKey(e env) string       { return e.cfg.ExternalEtcd.KeyFile }
func externalHasCA(e env) bool       { return external(e) && e.cfg.ExternalEtcd.CAFile != "" }
func externalHasCert(e env) bool {
	return external(e) && e.cfg.ExternalEtcd.CertFile != "" && e.cfg.ExternalEtcd.KeyFile != ""
}

// signing is the CA file for the CSR signer, empty with an external CA.
func signing(rel string) func(env) string {
	return func(e env) string {
		if e.cfg.ExternalCA {
			return ""
		}
		return path.Join(e.cfg.PKIDir, rel)
	}
}

// Values of the etcd table.

func nodeName(e env) string   { return e.cfg.Node.Name }
func dataDir(e env) string    { return e.cfg.EtcdDataDir }
func clientURL(e env) string  { return "https://" + hostPort(e.address(), EtcdClientPort) }
func peerURL(e env) string    { return "https://" + hostPort(e.address(), EtcdPeerPort) }
func metricsURL(e env) string { return "http://" + hostPort(e.loopback(), EtcdMetricsPort) }

func listenClientURLs(e env) string {
	return "https://" + hostPort(e.loopback(), EtcdClientPort) + "," + clientURL(e)
}

// initialCluster lists every control-plane node as name=peerURL, sorted.
func initialCluster(e env) string {
	members := make([]string, len(e.cfg.ControlPlane))
	for i, n := range e.cfg.ControlPlane {
		members[i] = n.Name + "=https://" + hostPort(n.Address, EtcdPeerPort)
	}
	sort.Strings(members)
	return strings.Join(members, ",")
}
