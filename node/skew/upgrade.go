package skew

import "fmt"

// RuleControlPlaneDowngrade is refused by CheckUpgrade: Kubernetes does
// not support moving a control plane back a minor version; a node goes
// back to its previous OS with a rollback, not an upgrade.
const RuleControlPlaneDowngrade Rule = "the control plane does not downgrade a minor version (use rollback to return to the previous slot)"

// Upgrade is one node moving its Kubernetes version (kubelet, and on a
// control-plane node its static-pod control plane) from From to To.
type Upgrade struct {
	// ControlPlane is set on a control-plane node.
	ControlPlane bool
	From, To     Version
	// APIServers are the versions of the cluster's kube-apiservers other
	// than this node's own: on a worker, those its kubelet talks to; on
	// a control-plane node, its HA peers. May be empty on a single
	// control-plane node.
	APIServers []Version
}

// UpgradeError is a refused upgrade: the rule it breaks and the versions.
type UpgradeError struct {
	Upgrade Upgrade
	Other   Version // the kube-apiserver the rule was checked against, if any
	Rule    Rule
}

func (e *UpgradeError) Error() string {
	u := e.Upgrade
	role := "worker"
	if u.ControlPlane {
		role = "control-plane"
	}
	msg := fmt.Sprintf("upgrading this %s node from Kubernetes %s to %s violates the version-skew policy: %s", role, u.From, u.To, e.Rule)
	if e.Other != (Version{}) {
		msg += fmt.Sprintf(" (kube-apiserver %s)", e.Other)
	}
	return msg
}

// CheckUpgrade applies the version-skew policy to a node upgrade:
//   - a control plane moves at most one minor version per upgrade and
//     never back a minor;
//   - HA kube-apiservers stay within one minor version of each other;
//   - a worker's kubelet is never newer than any kube-apiserver and at
//     most 3 minors older.
//
// A control-plane node's own kubelet moves with its kube-apiserver, as in
// kubeadm's procedure (control plane, then kubelet, node by node), so
// it is checked against its own kube-apiserver only. It returns nil when
// the upgrade is allowed.
func CheckUpgrade(u Upgrade) *UpgradeError {
	if u.ControlPlane {
		switch d := u.From.minorsBehind(u.To); {
		case d > 1:
			return &UpgradeError{Upgrade: u, Rule: RuleControlPlaneUpgrade}
		case d < 0:
			return &UpgradeError{Upgrade: u, Rule: RuleControlPlaneDowngrade}
		}
		for _, api := range u.APIServers {
			if d := u.To.minorsBehind(api); d > 1 || d < -1 {
				return &UpgradeError{Upgrade: u, Other: api, Rule: RuleHAWithinOne}
			}
		}
		return nil
	}
	for _, api := range u.APIServers {
		if r := kubeletRule(u.To, api); r != "" {
			return &UpgradeError{Upgrade: u, Other: api, Rule: r}
		}
	}
	return nil
}
