package spec

import (
	"fmt"
	"net/netip"
	"regexp"
)

func regexp1123Subdomain() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
}

func (v *validator) nodes(c *Cluster) {
	if len(c.Spec.Nodes) == 0 {
		v.errorf("spec.nodes", "is required: list the cluster's nodes, at least one with role control-plane")
		return
	}
	names, addrs := map[string]bool{}, map[netip.Addr]string{}
	for i, n := range c.Spec.Nodes {
		p := fmt.Sprintf("spec.nodes[%d]", i)
		switch {
		case n.Name == "":
			v.errorf(p+".name", "is required")
		case !dnsLabel.MatchString(n.Name) || len(n.Name) > 63:
			v.errorf(p+".name", "%q must be a DNS label: lower-case letters, digits and '-'", n.Name)
		case names[n.Name]:
			v.errorf(p+".name", "duplicate node name %q", n.Name)
		}
		names[n.Name] = true
		if n.Role != RoleControlPlane && n.Role != RoleWorker {
			v.errorf(p+".role", "role %q must be control-plane or worker", n.Role)
		}
		v.nodeAddress(p+".address", n.Address, addrs, n.Name)
		if n.Butane != "" {
			v.butane(p+".butane", n.Butane)
		}
	}
	switch cp := len(c.ControlPlaneNodes()); {
	case cp == 0:
		v.errorf("spec.nodes", "no node has role control-plane: a cluster needs at least one")
	case cp%2 == 0 && c.Spec.Etcd.External == nil:
		v.warnf("spec.nodes", "%d control-plane nodes run %d stacked etcd members: an even count tolerates no more failures than %d; use an odd number", cp, cp, cp-1)
	}
}

func (v *validator) nodeAddress(p, a string, seen map[netip.Addr]string, name string) {
	if a == "" {
		v.errorf(p, "is required: the node's IP address")
		return
	}
	ip, err := netip.ParseAddr(a)
	if err != nil {
		v.errorf(p, "%q is not an IP address", a)
		return
	}
	if other, dup := seen[ip]; dup {
		v.errorf(p, "address %s is also node %s's", ip, other)
	}
	seen[ip] = name
}

// butane translates a snippet and reports its problems at the user's
// line: a block scalar's content starts on the line after its key.
func (v *validator) butane(p, snippet string) {
	_, problems := TranslateButane(snippet)
	at := v.positions[p]
	for _, bp := range problems {
		prob := Problem{Severity: Error, File: v.file, Path: p, Message: bp.Message, Line: at.line, Column: at.col}
		if bp.Warning {
			prob.Severity = Warning
		}
		if bp.Line > 0 {
			prob.Line = at.line + bp.Line
			prob.Column = at.col + bp.Column - 1
		}
		v.report.add(prob)
	}
}
