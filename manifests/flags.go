package manifests

import (
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
)

// env is the resolved input the flag tables read: a defaulted Config plus the
// table rows its versions selected.
type env struct {
	cfg   Config
	kube  kubeMinor
	kubeV version
	etcd  etcdProfile
	etcdV version
}

// flagRow is one flag of a component's table. Rows are data: a name, a value
// derived from env, the versions it applies to and an optional condition.
type flagRow struct {
	name  string
	value func(env) string
	// from and to bound the versions the row applies to, [from, to), by
	// minor; a zero bound is open. Kubernetes components compare the
	// Kubernetes minor, etcd compares the etcd minor.
	from, to version
	// when, if set, must hold for the row to apply.
	when func(env) bool
}

// buildFlags evaluates rows at version v, applies extra on top (replacing or
// adding) and returns "--name=value" sorted by name, as kubeadm's
// ArgumentsToCommand does.
func buildFlags(rows []flagRow, v version, e env, extra map[string]string) ([]string, error) {
	set := map[string]string{}
	for _, r := range rows {
		if !v.inRange(r.from, r.to) || (r.when != nil && !r.when(e)) {
			continue
		}
		if _, dup := set[r.name]; dup {
			return nil, fmt.Errorf("building flags: table sets --%s twice at %s", r.name, v)
		}
		set[r.name] = r.value(e)
	}
	for name, value := range extra {
		set[name] = value
	}
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, name := range names {
		out[i] = "--" + name + "=" + set[name]
	}
	return out, nil
}

// Value helpers used by the tables.

func lit(s string) func(env) string { return func(env) string { return s } }

// pki is a file under the PKI directory.
func pki(rel string) func(env) string {
	return func(e env) string { return path.Join(e.cfg.PKIDir, rel) }
}

// kubeconfig is a kubeconfig file under KubernetesDir.
func kubeconfig(name string) func(env) string {
	return lit(path.Join(KubernetesDir, name))
}

func (e env) address() string { return e.cfg.Node.Address }

// loopback is 127.0.0.1, or ::1 when the node address is IPv6.
func (e env) loopback() string {
	if ip := net.ParseIP(e.address()); ip != nil && ip.To4() == nil {
		return "::1"
	}
	return "127.0.0.1"
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

func (e env) extra(component, name string) (string, bool) {
	v, ok := e.cfg.ExtraArgs[component][name]
	return v, ok
}

// Conditions used by the tables.

func stacked(e env) bool  { return e.cfg.ExternalEtcd == nil }
func external(e env) bool { return e.cfg.ExternalEtcd != nil }
func hasPodCIDR(e env) bool {
	return e.cfg.PodCIDR != ""
}
func multiNode(e env) bool { return len(e.cfg.ControlPlane) > 1 }
