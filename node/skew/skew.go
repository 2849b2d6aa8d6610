package skew

import "fmt"

// Rule names one rule of the Kubernetes version-skew policy
// (https://kubernetes.io/releases/version-skew-policy/).
type Rule string

// The rules of the policy that slipway enforces.
const (
	RuleKubeletNotNewer     Rule = "kubelet must not be newer than kube-apiserver"
	RuleKubeletMaxOlder     Rule = "kubelet may be at most 3 minor versions older than kube-apiserver"
	RuleControlPlaneMatch   Rule = "kube-controller-manager, kube-scheduler and cloud-controller-manager must not be newer than kube-apiserver and at most 1 minor older"
	RuleKubectlWithinOne    Rule = "kubectl is supported within one minor version (older or newer) of kube-apiserver"
	RuleAPIServerMatch      Rule = "kube-apiserver in a release must be the release's Kubernetes version"
	RuleKubeadmVersion      Rule = "kubeadm deploys a control plane of its own minor or one minor older"
	RuleCRIToolsMinor       Rule = "cri-tools follows Kubernetes minors: use the cri-tools minor matching kube-apiserver"
	RuleHAWithinOne         Rule = "kube-apiserver instances in an HA cluster must be within one minor version"
	RuleControlPlaneUpgrade Rule = "the control plane upgrades one minor version at a time"
)

// Error reports a violated rule with the versions involved.
type Error struct {
	Component string
	Version   Version
	APIServer Version
	Rule      Rule
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s with kube-apiserver %s violates the version-skew policy: %s",
		e.Component, e.Version, e.APIServer, e.Rule)
}

// componentRule returns the rule a component at v breaks next to an
// apiserver at api, or "" when it breaks none.
type componentRule func(v, api Version) Rule

var componentRules = map[string]componentRule{
	"kubelet":                  kubeletRule,
	"kube-proxy":               kubeletRule,
	"kube-controller-manager":  controlPlaneRule,
	"kube-scheduler":           controlPlaneRule,
	"cloud-controller-manager": controlPlaneRule,
	"kubectl": func(v, api Version) Rule {
		if d := v.minorsBehind(api); d > 1 || d < -1 {
			return RuleKubectlWithinOne
		}
		return ""
	},
	"kube-apiserver": func(v, api Version) Rule {
		if v.minorsBehind(api) != 0 {
			return RuleAPIServerMatch
		}
		return ""
	},
	"kubeadm": func(v, api Version) Rule {
		if d := v.minorsBehind(api); d > 0 || d < -1 {
			return RuleKubeadmVersion
		}
		return ""
	},
	"cri-tools": func(v, api Version) Rule {
		if v.minorsBehind(api) != 0 {
			return RuleCRIToolsMinor
		}
		return ""
	},
}

func kubeletRule(v, api Version) Rule {
	switch d := v.minorsBehind(api); {
	case d < 0:
		return RuleKubeletNotNewer
	case d > 3:
		return RuleKubeletMaxOlder
	}
	return ""
}

func controlPlaneRule(v, api Version) Rule {
	if d := v.minorsBehind(api); d < 0 || d > 1 {
		return RuleControlPlaneMatch
	}
	return ""
}

// CheckHA checks that the kube-apiservers of an HA control plane are
// within one minor version of each other; the error names the oldest
// and the newest.
func CheckHA(apiServers []Version) *Error {
	if len(apiServers) == 0 {
		return nil
	}
	oldest, newest := apiServers[0], apiServers[0]
	for _, v := range apiServers[1:] {
		if v.minorsBehind(oldest) > 0 {
			oldest = v
		}
		if newest.minorsBehind(v) > 0 {
			newest = v
		}
	}
	if oldest.minorsBehind(newest) > 1 {
		return &Error{Component: "kube-apiserver", Version: oldest, APIServer: newest, Rule: RuleHAWithinOne}
	}
	return nil
}

// CheckComponent checks one component's version against the
// kube-apiserver version. Components the policy does not cover (etcd, CNI
// plugins, slipway itself) always pass.
func CheckComponent(component string, v, apiServer Version) *Error {
	rule, ok := componentRules[component]
	if !ok {
		return nil
	}
	if r := rule(v, apiServer); r != "" {
		return &Error{Component: component, Version: v, APIServer: apiServer, Rule: r}
	}
	return nil
}
