package spec

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway-dev/slipway/node/skew"
)

var dnsName = regexp1123Subdomain()

func (v *validator) cluster(c *Cluster) {
	v.header(c.APIVersion, c.Metadata.Name)
	s := &c.Spec
	if k, ok := v.version("spec.kubernetesVersion", s.KubernetesVersion); ok {
		if _, known := DefaultEtcdVersions[k.Minor]; !known || k.Major != 1 {
			v.errorf("spec.kubernetesVersion", "Kubernetes %s is not supported: slipway generates control planes for %s", k.MinorString(), supportedMinors())
		}
	}
	v.endpoint(s.ControlPlaneEndpoint, len(c.ControlPlaneNodes()))
	v.networking(s.Networking)
	v.pki(s.PKI)
	v.etcd(s.Etcd)
	v.images(s.Images)
	v.nodes(c)
}

// header checks apiVersion and metadata.name, shared by every kind.
func (v *validator) header(apiVersion, name string) {
	if apiVersion != APIVersion {
		v.errorf("apiVersion", "must be %s, not %q", APIVersion, apiVersion)
	}
	switch {
	case name == "":
		v.errorf("metadata.name", "is required")
	case !dnsLabel.MatchString(name) || len(name) > 63:
		v.errorf("metadata.name", "%q must be a DNS label: lower-case letters, digits and '-'", name)
	}
}

func supportedMinors() string {
	var ms []int
	for m := range DefaultEtcdVersions {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("1.%d", m))
	}
	return strings.Join(out, ", ")
}

func (v *validator) endpoint(ep string, controlPlanes int) {
	const p = "spec.controlPlaneEndpoint"
	if ep == "" {
		v.errorf(p, "is required: HOST:PORT of the API servers (a load balancer name for HA)")
		return
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		v.errorf(p, "%q must be HOST:PORT, e.g. %s:6443", ep, strings.Trim(ep, "[]"))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		v.errorf(p, "port %q must be a number from 1 to 65535", port)
	}
	_, ipErr := netip.ParseAddr(host)
	switch {
	case ipErr != nil && !dnsName.MatchString(host):
		v.errorf(p, "host %q is neither an IP address nor a DNS name", host)
	case ipErr == nil && controlPlanes > 1:
		v.warnf(p, "an IP endpoint for %d control-plane nodes ties clients to one machine: use a load balancer's DNS name", controlPlanes)
	}
}

func (v *validator) networking(n Networking) {
	pod := v.cidr("spec.networking.podCIDR", n.PodCIDR)
	svc := v.cidr("spec.networking.serviceCIDR", n.ServiceCIDR)
	if pod.IsValid() && svc.IsValid() && pod.Overlaps(svc) {
		v.errorf("spec.networking.serviceCIDR", "%s overlaps podCIDR %s", svc, pod)
	}
	if svc.IsValid() && svc.Addr().Is4() && svc.Bits() > 30 {
		v.errorf("spec.networking.serviceCIDR", "%s is too small: the API server takes its first address", svc)
	}
	if n.DNSDomain != "" && !dnsName.MatchString(n.DNSDomain) {
		v.errorf("spec.networking.dnsDomain", "%q is not a DNS name", n.DNSDomain)
	}
}

func (v *validator) cidr(p, s string) netip.Prefix {
	if s == "" {
		return netip.Prefix{}
	}
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		v.errorf(p, "%q is not a CIDR such as 10.96.0.0/12", s)
		return netip.Prefix{}
	}
	if pfx.Masked() != pfx {
		v.errorf(p, "%q has host bits set: write %s", s, pfx.Masked())
	}
	return pfx.Masked()
}

func (v *validator) pki(p PKI) {
	if p.Mode != "" && !slices.Contains([]string{PKIGenerate, PKIBringYourCA, PKIExternalCA}, p.Mode) {
		v.errorf("spec.pki.mode", "unknown mode %q: use generate, byo-ca or external-ca", p.Mode)
	}
	if p.KeyAlgorithm != "" && p.KeyAlgorithm != KeyRSA2048 && p.KeyAlgorithm != KeyECDSAP256 {
		v.errorf("spec.pki.keyAlgorithm", "unknown key algorithm %q: use RSA-2048 or ECDSA-P256", p.KeyAlgorithm)
	}
}

func (v *validator) etcd(e Etcd) {
	if e.External != nil {
		if e.Version != "" {
			v.errorf("spec.etcd", "give either version (stacked etcd) or external, not both")
		}
		if len(e.External.Endpoints) == 0 {
			v.errorf("spec.etcd.external.endpoints", "is required: the https:// client URLs of the etcd cluster")
		}
		for i, ep := range e.External.Endpoints {
			if !strings.HasPrefix(ep, "https://") {
				v.errorf(fmt.Sprintf("spec.etcd.external.endpoints[%d]", i), "%q must be an https:// URL", ep)
			}
		}
		return
	}
	if e.Version == "" {
		return
	}
	ver, err := skew.Parse(e.Version)
	if err != nil {
		v.errorf("spec.etcd.version", "%v", err)
		return
	}
	if ver.Major != 3 || ver.Minor < 4 || ver.Minor > 6 {
		v.errorf("spec.etcd.version", "etcd %s is not supported: use 3.4, 3.5 or 3.6", ver.MinorString())
	}
}

func (v *validator) images(im Images) {
	for _, f := range []struct{ path, ref string }{
		{"spec.images.kubeAPIServer", im.KubeAPIServer}, {"spec.images.kubeControllerManager", im.KubeControllerManager},
		{"spec.images.kubeScheduler", im.KubeScheduler}, {"spec.images.etcd", im.Etcd},
	} {
		if f.ref != "" && (strings.ContainsAny(f.ref, " \t") || !strings.ContainsAny(f.ref, ":@")) {
			v.errorf(f.path, "%q must be an image reference with a tag or digest, e.g. registry.k8s.io/kube-apiserver:v1.33.0", f.ref)
		}
	}
	if im.Repository != "" && (strings.ContainsAny(im.Repository, " \t@") || strings.HasSuffix(im.Repository, "/")) {
		v.errorf("spec.images.repository", "%q must be a registry and path without a tag, e.g. registry.example.com/k8s", im.Repository)
	}
}
