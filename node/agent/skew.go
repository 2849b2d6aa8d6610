package agent

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/slipway-dev/slipway/node/skew"
)

// Node roles.
const (
	RoleControlPlane = "control-plane"
	RoleWorker       = "worker"
)

// SkewOptions say where the versions the skew policy compares come from.
type SkewOptions struct {
	// Ignore turns a violation into a logged warning (--ignore-skew).
	Ignore bool
	// Role is RoleControlPlane or RoleWorker; "" detects it on a live
	// node (a kube-apiserver static pod) and means worker offline.
	Role string
	// ControlPlaneVersions are kube-apiserver versions (--control-plane-version).
	// Offline on a control-plane node, the first is the node's own.
	ControlPlaneVersions []string
	// Kubeconfig, when set, asks the kube-apiserver for its version.
	Kubeconfig string
}

// checkSkew applies skew.CheckUpgrade to moving this node to Kubernetes
// version to. It returns the violation it ignored, if any.
func (n *Node) checkSkew(ctx context.Context, to string, o SkewOptions) (ignored string, err error) {
	u, err := n.skewInputs(ctx, to, o)
	if err == nil {
		if v := skew.CheckUpgrade(u); v != nil {
			err = v
		}
	}
	if err == nil {
		n.logf("version skew: Kubernetes %s -> %s allowed", u.From, u.To)
		return "", nil
	}
	if o.Ignore {
		n.logf("WARNING: --ignore-skew: %v", err)
		return err.Error(), nil
	}
	return "", refused(fmt.Errorf("%w (override with --ignore-skew)", err))
}

func (n *Node) skewInputs(ctx context.Context, to string, o SkewOptions) (skew.Upgrade, error) {
	var u skew.Upgrade
	var err error
	if u.To, err = skew.Parse(to); err != nil {
		return u, fmt.Errorf("the payload's Kubernetes version: %w", err)
	}
	role := o.Role
	if role == "" {
		role = RoleWorker
		if _, err := os.Stat(n.path(ManifestsDir + "/kube-apiserver.yaml")); n.Live && err == nil {
			role = RoleControlPlane
		}
	}
	u.ControlPlane = role == RoleControlPlane
	for _, s := range o.ControlPlaneVersions {
		v, err := skew.Parse(strings.TrimPrefix(s, "v"))
		if err != nil {
			return u, fmt.Errorf("--control-plane-version: %w", err)
		}
		u.APIServers = append(u.APIServers, v)
	}
	if o.Kubeconfig != "" {
		v, err := APIServerVersion(ctx, o.Kubeconfig)
		if err != nil {
			return u, err
		}
		n.logf("kube-apiserver version (from %s): %s", o.Kubeconfig, v)
		u.APIServers = append(u.APIServers, v)
	}
	if !u.ControlPlane {
		if len(u.APIServers) == 0 {
			return u, fmt.Errorf("the control plane's version is unknown: give --kubeconfig or --control-plane-version")
		}
		u.From = u.To // a worker's own version does not matter to the policy
		return u, nil
	}
	_, own := n.OSVersions()
	if !n.Live || own == "" {
		if len(u.APIServers) == 0 {
			return u, fmt.Errorf("this control-plane node's Kubernetes version is unknown offline: give --control-plane-version")
		}
		u.From, u.APIServers = u.APIServers[0], u.APIServers[1:]
		return u, nil
	}
	u.From, err = skew.Parse(own)
	return u, err
}
