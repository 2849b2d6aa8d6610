package manifests

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ErrUnsupportedVersion is wrapped by errors about a Kubernetes or etcd minor
// outside the tables; the message names the supported minors.
var ErrUnsupportedVersion = errors.New("unsupported version")

// ErrInvalidConfig is matched (errors.Is) by every *ConfigError.
var ErrInvalidConfig = errors.New("invalid manifests config")

// Problem is one thing wrong with a Config, at a field path such as
// "controlPlane[1].address".
type Problem struct {
	Path, Message string
	// Err is the underlying error, if any (for example ErrUnsupportedVersion).
	Err error
}

// ConfigError lists every problem Validate found, in field order.
type ConfigError struct{ Problems []Problem }

// Error lists the problems one per line.
func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Path + ": " + p.Message
	}
	return "validating manifests config: " + strings.Join(lines, "; ")
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Unwrap exposes the underlying errors, so errors.Is finds
// ErrUnsupportedVersion.
func (e *ConfigError) Unwrap() []error {
	var errs []error
	for _, p := range e.Problems {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// problems collects Problems.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) addErr(path string, err error) {
	*ps = append(*ps, Problem{Path: path, Message: err.Error(), Err: err})
}

// Validate reports every problem with cfg as a *ConfigError, or nil.
func (cfg Config) Validate() error {
	var ps problems
	img := cfg.Images
	if cfg.KubernetesVersion == "" {
		ps.add("kubernetesVersion", "required")
	} else if _, _, err := lookupKube(cfg.KubernetesVersion); err != nil {
		ps.addErr("kubernetesVersion", err)
	} else {
		checkPatch(&ps, "kubernetesVersion", cfg.KubernetesVersion, img.APIServer == "" || img.ControllerManager == "" || img.Scheduler == "")
	}
	if cfg.EtcdVersion != "" {
		if _, _, err := lookupEtcd(cfg.EtcdVersion); err != nil {
			ps.addErr("etcdVersion", err)
		} else {
			checkPatch(&ps, "etcdVersion", cfg.EtcdVersion, img.Etcd == "")
		}
	}
	checkNode(&ps, "node", cfg.Node)
	checkControlPlane(&ps, cfg)
	checkPrefix(&ps, "serviceCIDR", cfg.ServiceCIDR)
	checkPrefix(&ps, "podCIDR", cfg.PodCIDR)
	if cfg.ExternalEtcd != nil {
		checkExternalEtcd(&ps, *cfg.ExternalEtcd)
	}
	checkExtraArgs(&ps, cfg)
	if len(ps) > 0 {
		return &ConfigError{Problems: ps}
	}
	return nil
}

// checkPatch requires a patch version when it names a default image tag.
func checkPatch(ps *problems, path, v string, defaultImage bool) {
	if defaultImage && strings.Count(trimV(v), ".") < 2 {
		ps.add(path, "%q has no patch version, which the default image tag needs (give one, or set Images)", v)
	}
}

func checkNode(ps *problems, path string, n Node) {
	if n.Name == "" {
		ps.add(path+".name", "required")
	} else if msgs := validation.IsDNS1123Subdomain(n.Name); len(msgs) > 0 {
		ps.add(path+".name", "%q is not a valid node name: %s", n.Name, strings.Join(msgs, "; "))
	}
	if n.Address == "" {
		ps.add(path+".address", "required")
		return
	}
	addr, err := netip.ParseAddr(n.Address)
	switch {
	case err != nil:
		ps.add(path+".address", "%q is not an IP address", n.Address)
	case addr.Zone() != "":
		ps.add(path+".address", "%q: zoned addresses are not supported", n.Address)
	case addr.IsUnspecified() || addr.IsMulticast():
		ps.add(path+".address", "%q is not a specific unicast address", n.Address)
	}
}

// checkControlPlane checks each member and that Node is one of them, by name
// and address, with no duplicate names or addresses.
func checkControlPlane(ps *problems, cfg Config) {
	if len(cfg.ControlPlane) == 0 {
		return
	}
	names, addrs := map[string]int{}, map[string]int{}
	found := false
	for i, n := range cfg.ControlPlane {
		path := fmt.Sprintf("controlPlane[%d]", i)
		checkNode(ps, path, n)
		if j, dup := names[n.Name]; dup {
			ps.add(path+".name", "%q duplicates controlPlane[%d]", n.Name, j)
		}
		if j, dup := addrs[n.Address]; dup {
			ps.add(path+".address", "%q duplicates controlPlane[%d]", n.Address, j)
		}
		names[n.Name], addrs[n.Address] = i, i
		found = found || n == cfg.Node
	}
	if !found && cfg.Node.Name != "" {
		ps.add("node", "node %s (%s) is not in controlPlane", cfg.Node.Name, cfg.Node.Address)
	}
}

func checkPrefix(ps *problems, path, s string) {
	if s == "" {
		return
	}
	for _, part := range strings.Split(s, ",") {
		p, err := netip.ParsePrefix(part)
		if err != nil {
			ps.add(path, "%q is not a CIDR: %v", part, err)
		} else if p != p.Masked() {
			ps.add(path, "%q has host bits set (want %s)", part, p.Masked())
		}
	}
}

func checkExternalEtcd(ps *problems, e ExternalEtcd) {
	if len(e.Endpoints) == 0 {
		ps.add("externalEtcd.endpoints", "at least one endpoint is required")
	}
	for i, ep := range e.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ps.add(fmt.Sprintf("externalEtcd.endpoints[%d]", i), "%q is not an http(s) URL", ep)
		}
	}
	if (e.CertFile == "") != (e.KeyFile == "") {
		ps.add("externalEtcd", "certFile and keyFile go together")
	}
	files := []struct{ field, path string }{
		{"caFile", e.CAFile}, {"certFile", e.CertFile}, {"keyFile", e.KeyFile},
	}
	for _, f := range files {
		if f.path != "" && !strings.HasPrefix(f.path, "/") {
			ps.add("externalEtcd."+f.field, "%q is not an absolute path", f.path)
		}
	}
}

// checkExtraArgs rejects unknown components, flags written with dashes and
// etcd arguments without an etcd pod.
func checkExtraArgs(ps *problems, cfg Config) {
	known := map[string]bool{ComponentEtcd: true, ComponentAPIServer: true,
		ComponentControllerManager: true, ComponentScheduler: true}
	for _, comp := range sortedKeys(cfg.ExtraArgs) {
		path := "extraArgs[" + comp + "]"
		switch {
		case !known[comp]:
			ps.add(path, "unknown component (want one of etcd, kube-apiserver, kube-controller-manager, kube-scheduler)")
		case comp == ComponentEtcd && cfg.ExternalEtcd != nil && len(cfg.ExtraArgs[comp]) > 0:
			ps.add(path, "set, but etcd is external (no etcd pod)")
		}
		for _, name := range sortedKeys(cfg.ExtraArgs[comp]) {
			if name == "" || strings.HasPrefix(name, "-") || strings.Contains(name, "=") {
				ps.add(path, "flag %q: give the name without dashes or '='", name)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
