package spec

// Built-in package names, mirroring the official Kubernetes packages
// (pkgs.k8s.io, kubernetes/release krel templates) plus the node agent.
const (
	PackageKubelet       = "kubelet"
	PackageKubeadm       = "kubeadm"
	PackageKubectl       = "kubectl"
	PackageCRITools      = "cri-tools"
	PackageKubernetesCNI = "kubernetes-cni"
	PackageSlipwayNode   = "slipway-node"
)

// ComponentSlipwayNode is the node agent component: the slipway-node and
// slipway-init (the initramfs's PID 1, taken from the OS image when its
// initramfs is built) binaries. When a release does not declare it, the
// builder supplies both, cross-compiled for each architecture at the
// version of slipway itself.
const ComponentSlipwayNode = "slipway-node"

const (
	k8sMaintainer = "Kubernetes Authors <dev@kubernetes.io>"
	k8sHomepage   = "https://kubernetes.io"
)

// kubeletUnit is the official package's kubelet.service.
const kubeletUnit = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`

// kubeadmDropIn is the official 10-kubeadm.conf drop-in for kubelet.service.
const kubeadmDropIn = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
EnvironmentFile=-/etc/sysconfig/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`

const kubeletEnv = "KUBELET_EXTRA_ARGS=\n"

func str(s string) *string { return &s }

// dependencyRule adds dependencies to a built-in package for a range of
// Kubernetes minors, as the official packaging's metadata.yaml does.
type dependencyRule struct {
	pkg                string
	fromMinor, toMinor int // inclusive; toMinor 0 means no upper bound
	depends            []string
}

// dependencyRules is the official packages' dependency table
// (kubernetes/release cmd/krel/templates/latest/metadata.yaml), for the
// minors slipway supports.
var dependencyRules = []dependencyRule{
	{pkg: PackageKubelet, fromMinor: 28, depends: []string{"kubernetes-cni >= 1.2.0"}},
	{pkg: PackageKubeadm, fromMinor: 28, toMinor: 29, depends: []string{
		"kubelet >= 1.19.0", "kubectl >= 1.19.0", "kubernetes-cni >= 1.2.0", "cri-tools >= 1.28.0"}},
	{pkg: PackageKubeadm, fromMinor: 30, toMinor: 31, depends: []string{"cri-tools >= 1.30.0"}},
}

// builtinPackages returns the built-in package definitions for a
// Kubernetes minor. Each call returns fresh values.
func builtinPackages(minor int) []Package {
	pkgs := []Package{
		{
			Name: PackageKubelet, Component: "kubelet",
			Summary: "Node agent for Kubernetes clusters",
			Description: "The kubelet is the primary node agent that runs on each node. It registers\n" +
				"the node with the apiserver and runs the pods scheduled to it.",
			Section: "net",
			// util-linux and mount are Essential in Debian: an unversioned
			// dependency on them is a lintian error, so only the rpm names one.
			RPM:        &FormatFields{Depends: []string{"util-linux"}},
			Recommends: []string{"iptables >= 1.8.4"},
			Files: []File{
				{Dst: "/usr/bin/kubelet", From: "kubelet", Mode: "0755"},
				{Dst: "/usr/lib/systemd/system/kubelet.service", Content: str(kubeletUnit), Mode: "0644"},
				{Dst: "/etc/default/kubelet", Content: str(kubeletEnv), Type: FileConfig, Formats: []string{FormatDeb}},
				{Dst: "/etc/sysconfig/kubelet", Content: str(kubeletEnv), Type: FileConfig, Formats: []string{FormatRPM}},
				{Dst: "/etc/kubernetes/manifests", Type: FileDir},
				{Dst: "/var/lib/kubelet", Type: FileDir},
			},
			Scripts: &Scripts{PostInstall: systemdPostInstall("kubelet.service"), PreRemove: systemdPreRemove("kubelet.service")},
		},
		{
			Name: PackageKubeadm, Component: "kubeadm",
			Summary:     "Command-line utility for administering a Kubernetes cluster",
			Description: "kubeadm bootstraps a minimum viable Kubernetes cluster that conforms\nto best practices.",
			Files: []File{
				{Dst: "/usr/bin/kubeadm", From: "kubeadm", Mode: "0755"},
				{Dst: "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", Content: str(kubeadmDropIn), Mode: "0644"},
			},
		},
		{
			Name: PackageKubectl, Component: "kubectl",
			Summary:     "Command-line utility for interacting with a Kubernetes cluster",
			Description: "kubectl runs commands against Kubernetes clusters.",
			Files:       []File{{Dst: "/usr/bin/kubectl", From: "kubectl", Mode: "0755"}},
		},
		{
			Name: PackageCRITools, Component: "cri-tools",
			Summary:     "Command-line utility for interacting with a container runtime",
			Description: "crictl inspects and debugs container runtimes and applications on a node\nthrough the Container Runtime Interface.",
			Files:       []File{{Dst: "/usr/bin/crictl", From: "cri-tools/crictl", Mode: "0755"}},
		},
		{
			Name: PackageKubernetesCNI, Component: "cni-plugins",
			Summary:     "Binaries required to provision kubernetes container networking",
			Description: "The Container Network Interface reference plugins, installed in /opt/cni/bin.",
			Section:     "net",
			Files:       []File{{Dst: "/opt/cni/bin", From: "cni-plugins/*", Mode: "0755"}},
		},
		{
			Name: PackageSlipwayNode, Component: ComponentSlipwayNode,
			Summary:     "slipway node agent: A/B OS upgrades gated on Kubernetes health",
			Description: "slipway-node reports the node's OS slots and versions, applies update\npayloads to the inactive slot, runs the health gate and rolls back.",
			Maintainer:  "slipway developers <dev@slipway.dev>",
			Homepage:    "https://github.com/slipway-dev/slipway",
			Files: []File{
				{Dst: "/usr/bin/slipway-node", From: ComponentSlipwayNode + "/slipway-node", Mode: "0755"},
				{Dst: "/usr/lib/slipway/slipway-init", From: ComponentSlipwayNode + "/slipway-init", Mode: "0755"},
			},
		},
	}
	for i := range pkgs {
		for _, r := range dependencyRules {
			if r.pkg == pkgs[i].Name && minor >= r.fromMinor && (r.toMinor == 0 || minor <= r.toMinor) {
				pkgs[i].Depends = append(pkgs[i].Depends, r.depends...)
			}
		}
	}
	return pkgs
}

func systemdPostInstall(unit string) string {
	return `if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
if command -v deb-systemd-helper >/dev/null 2>&1; then
	deb-systemd-helper unmask ` + unit + ` >/dev/null || true
	deb-systemd-helper enable ` + unit + ` >/dev/null || true
elif command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload preset ` + unit + ` >/dev/null 2>&1 || true
fi
`
}

func systemdPreRemove(unit string) string {
	return `if [ -d /run/systemd/system ]; then
	systemctl --no-reload disable --now ` + unit + ` >/dev/null 2>&1 || true
fi
`
}
