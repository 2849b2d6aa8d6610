// Package pki makes and maintains a cluster's public key infrastructure the
// way kubeadm does: three CAs (kubernetes, front-proxy, etcd), the service
// account key pair, every control-plane leaf certificate and the admin,
// super-admin, controller-manager, scheduler and kubelet kubeconfigs.
//
// The PKI directory is state. Init never regenerates or overwrites a CA:
// CAs found in the directory are used (bring your own CA), a CA certificate
// without its key makes that CA external (every leaf it signs must already
// be present), and only missing leaves are generated. Every run stages its
// files and renames them into place at the end, so a failed run leaves the
// directory as it was.
//
// Layout (kubeadm's names):
//
//	ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key
//	sa.key sa.pub admin.conf super-admin.conf
//	nodes/<name>/...   the node's leaves laid out as /etc/kubernetes/pki
//	                   (*.crt, *.key, etcd/*) and its kubeconfigs
//	                   (*.conf, which belong in /etc/kubernetes)
package pki

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Key algorithms accepted in Config.KeyAlgorithm.
const (
	RSA2048   = "RSA-2048"
	ECDSAP256 = "ECDSA-P256"
)

// Modes accepted in Config.Mode.
const (
	// ModeAuto (the empty string) uses CAs found in the directory and
	// generates the missing ones.
	ModeAuto = ""
	// ModeGenerate is ModeAuto under the name the Cluster spec uses.
	ModeGenerate = "generate"
	// ModeBYOCA requires ca.crt and ca.key to be present before Init.
	ModeBYOCA = "byo-ca"
	// ModeExternalCA requires ca.crt to be present and ca.key absent.
	ModeExternalCA = "external-ca"
)

// Defaults applied by Init and friends to a zero Config field.
const (
	DefaultClusterName   = "kubernetes"
	DefaultServiceCIDR   = "10.96.0.0/12"
	DefaultDNSDomain     = "cluster.local"
	DefaultAPIServerPort = 6443
	DefaultCertValidity  = 365 * 24 * time.Hour
	DefaultCAValidity    = 10 * 365 * 24 * time.Hour
)

// Config describes the cluster the PKI is for.
type Config struct {
	// ClusterName names the cluster in every kubeconfig; it defaults to
	// "kubernetes", as kubeadm.
	ClusterName string
	// Endpoint is the control-plane endpoint HOST:PORT (a DNS name or an
	// IP; a load balancer for HA). Required. Its host is an API server
	// SAN; admin.conf, super-admin.conf and kubelet.conf point at it.
	Endpoint string
	// ServiceCIDR defaults to 10.96.0.0/12; its first address (10.96.0.1)
	// is an API server SAN. With a dual-stack "v4,v6" value the first
	// range is used, as kubeadm.
	ServiceCIDR string
	// DNSDomain defaults to cluster.local.
	DNSDomain string
	// Nodes of the cluster; at least one is a control-plane node.
	Nodes []Node
	// KeyAlgorithm is RSA-2048 (default) or ECDSA-P256; it applies to
	// every key Init or Renew generates (CAs, leaves, sa.key).
	KeyAlgorithm string
	// Mode is "" or "generate" (default: use CAs present, generate
	// missing ones), "byo-ca" or "external-ca".
	Mode string
	// APIServerPort is the port API servers bind on each control-plane
	// node; controller-manager.conf and scheduler.conf point at
	// https://<node address>:<port>. Defaults to 6443.
	APIServerPort int
	// CertValidity of leaf certificates; defaults to one year.
	CertValidity time.Duration
	// CAValidity of generated CAs; defaults to ten years.
	CAValidity time.Duration
}

// Node is one machine of the cluster.
type Node struct {
	// Name is the node name (a lowercase RFC 1123 subdomain); it names
	// the node's directory, the kubelet identity and is a SAN.
	Name string
	// Address is the node's IP address (the API server and etcd
	// advertise address).
	Address string
	// ControlPlane marks a control-plane node (API server, etcd,
	// controller manager, scheduler).
	ControlPlane bool
}

// resolved is a validated Config with its defaults filled and its derived
// values parsed.
type resolved struct {
	Config
	endpointHost string
	endpointPort string
	serviceIP    net.IP
	addrs        map[string]net.IP
}

var nodeNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// withDefaults returns c with its zero fields defaulted.
func (c Config) withDefaults() Config {
	if c.ClusterName == "" {
		c.ClusterName = DefaultClusterName
	}
	if c.ServiceCIDR == "" {
		c.ServiceCIDR = DefaultServiceCIDR
	}
	if c.DNSDomain == "" {
		c.DNSDomain = DefaultDNSDomain
	}
	if c.KeyAlgorithm == "" {
		c.KeyAlgorithm = RSA2048
	}
	if c.APIServerPort == 0 {
		c.APIServerPort = DefaultAPIServerPort
	}
	if c.CertValidity == 0 {
		c.CertValidity = DefaultCertValidity
	}
	if c.CAValidity == 0 {
		c.CAValidity = DefaultCAValidity
	}
	return c
}

// Validate fills c's defaults and reports every problem of c at once,
// joined, each naming the field it is about.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

func (c Config) resolve() (*resolved, error) {
	r := &resolved{Config: c.withDefaults(), addrs: map[string]net.IP{}}
	errs := r.checkEndpoint()
	errs = append(errs, r.checkService()...)
	errs = append(errs, r.checkNodes()...)
	errs = append(errs, r.checkKnobs()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

func (r *resolved) checkEndpoint() []error {
	if r.Endpoint == "" {
		return []error{errors.New("endpoint: required (HOST:PORT)")}
	}
	host, port, err := net.SplitHostPort(r.Endpoint)
	if err != nil {
		return []error{fmt.Errorf("endpoint: %q is not HOST:PORT (a port is required): %w", r.Endpoint, err)}
	}
	var errs []error
	if host == "" {
		errs = append(errs, fmt.Errorf("endpoint: %q has no host", r.Endpoint))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		errs = append(errs, fmt.Errorf("endpoint: port %q of %q is not a number in 1-65535", port, r.Endpoint))
	}
	r.endpointHost, r.endpointPort = host, port
	return errs
}

func (r *resolved) checkService() []error {
	first, _, _ := strings.Cut(r.ServiceCIDR, ",")
	p, err := netip.ParsePrefix(strings.TrimSpace(first))
	if err != nil {
		return []error{fmt.Errorf("serviceCIDR: %q is not a CIDR: %w", r.ServiceCIDR, err)}
	}
	ip := p.Masked().Addr().Next()
	if !ip.IsValid() || !p.Contains(ip) {
		return []error{fmt.Errorf("serviceCIDR: %q has no first address", r.ServiceCIDR)}
	}
	r.serviceIP = net.IP(ip.AsSlice())
	return nil
}

func (r *resolved) checkNodes() []error {
	var errs []error
	seen := map[string]int{}
	cp := 0
	for i, n := range r.Nodes {
		at := fmt.Sprintf("nodes[%d]", i)
		switch {
		case n.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: required", at))
		case !nodeNameRE.MatchString(n.Name) || len(n.Name) > 253:
			errs = append(errs, fmt.Errorf("%s.name: %q is not a lowercase RFC 1123 subdomain", at, n.Name))
		}
		if j, dup := seen[n.Name]; dup && n.Name != "" {
			errs = append(errs, fmt.Errorf("%s.name: %q duplicates nodes[%d].name", at, n.Name, j))
		} else {
			seen[n.Name] = i
		}
		ip := net.ParseIP(n.Address)
		if ip == nil {
			errs = append(errs, fmt.Errorf("%s.address: %q is not an IP address", at, n.Address))
		}
		r.addrs[n.Name] = ip
		if n.ControlPlane {
			cp++
		}
	}
	if cp == 0 {
		errs = append(errs, errors.New("nodes: no control-plane node (at least one node needs ControlPlane)"))
	}
	return errs
}

func (r *resolved) checkKnobs() []error {
	var errs []error
	if r.KeyAlgorithm != RSA2048 && r.KeyAlgorithm != ECDSAP256 {
		errs = append(errs, fmt.Errorf("keyAlgorithm: %q is not %s or %s", r.KeyAlgorithm, RSA2048, ECDSAP256))
	}
	switch r.Mode {
	case ModeAuto, ModeGenerate, ModeBYOCA, ModeExternalCA:
	default:
		errs = append(errs, fmt.Errorf("mode: %q is not %s, %s or %s", r.Mode, ModeGenerate, ModeBYOCA, ModeExternalCA))
	}
	if r.APIServerPort < 1 || r.APIServerPort > 65535 {
		errs = append(errs, fmt.Errorf("apiServerPort: %d is not in 1-65535", r.APIServerPort))
	}
	if r.CertValidity < 0 {
		errs = append(errs, fmt.Errorf("certValidity: %s is negative", r.CertValidity))
	}
	if r.CAValidity < 0 {
		errs = append(errs, fmt.Errorf("caValidity: %s is negative", r.CAValidity))
	}
	return errs
}

// endpointURL is the https URL of the control-plane endpoint.
func (r *resolved) endpointURL() string {
	return "https://" + net.JoinHostPort(r.endpointHost, r.endpointPort)
}

// localURL is the https URL of the API server on node n.
func (r *resolved) localURL(n Node) string {
	return "https://" + net.JoinHostPort(r.addrs[n.Name].String(), strconv.Itoa(r.APIServerPort))
}

// server is the URL kubeconfig target t points at.
func (r *resolved) server(t target) string {
	if t.spec.Server == serverLocal {
		return r.localURL(*t.node)
	}
	return r.endpointURL()
}
