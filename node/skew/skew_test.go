package skew

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) Version {
	t.Helper()
	v, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCheckComponent(t *testing.T) {
	cases := []struct {
		name, component, version, api string
		want                          Rule
	}{
		{"kubelet same", "kubelet", "1.32.4", "1.32.4", ""},
		{"kubelet 3 older", "kubelet", "1.29.0", "1.32.4", ""},
		{"kubelet 4 older", "kubelet", "1.28.9", "1.32.4", RuleKubeletMaxOlder},
		{"kubelet newer", "kubelet", "1.33.0", "1.32.4", RuleKubeletNotNewer},
		{"kubelet newer patch is fine", "kubelet", "1.32.9", "1.32.4", ""},
		{"kube-proxy follows kubelet", "kube-proxy", "1.33.0", "1.32.0", RuleKubeletNotNewer},
		{"controller-manager one older", "kube-controller-manager", "1.31.0", "1.32.0", ""},
		{"controller-manager two older", "kube-controller-manager", "1.30.0", "1.32.0", RuleControlPlaneMatch},
		{"scheduler newer", "kube-scheduler", "1.33.0", "1.32.0", RuleControlPlaneMatch},
		{"kubectl one newer", "kubectl", "1.33.1", "1.32.0", ""},
		{"kubectl one older", "kubectl", "1.31.1", "1.32.0", ""},
		{"kubectl two older", "kubectl", "1.30.1", "1.32.0", RuleKubectlWithinOne},
		{"kubectl two newer", "kubectl", "1.34.0", "1.32.0", RuleKubectlWithinOne},
		{"apiserver other minor", "kube-apiserver", "1.31.0", "1.32.0", RuleAPIServerMatch},
		{"kubeadm same", "kubeadm", "1.32.0", "1.32.4", ""},
		{"kubeadm one newer", "kubeadm", "1.33.0", "1.32.4", ""},
		{"kubeadm older", "kubeadm", "1.31.0", "1.32.4", RuleKubeadmVersion},
		{"kubeadm two newer", "kubeadm", "1.34.0", "1.32.4", RuleKubeadmVersion},
		{"cri-tools same minor", "cri-tools", "1.32.0", "1.32.4", ""},
		{"cri-tools other minor", "cri-tools", "1.30.0", "1.32.4", RuleCRIToolsMinor},
		{"etcd not covered", "etcd", "3.5.16", "1.32.4", ""},
		{"other major", "kubelet", "2.0.0", "1.32.0", RuleKubeletNotNewer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckComponent(c.component, mustParse(t, c.version), mustParse(t, c.api))
			got := Rule("")
			if err != nil {
				got = err.Rule
			}
			if got != c.want {
				t.Fatalf("CheckComponent(%s %s, api %s) = %q, want %q", c.component, c.version, c.api, got, c.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"1.32.4", "1.32.4", true},
		{"1.33.0-rc.1", "1.33.0-rc.1", true},
		{"1.2.3+build.5", "1.2.3+build.5", true},
		{"v1.32.4", "", false},
		{"1.32", "", false},
		{"01.2.3", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			v, err := Parse(c.in)
			if (err == nil) != c.ok {
				t.Fatalf("Parse(%q) error = %v, want ok=%v", c.in, err, c.ok)
			}
			if c.ok && v.String() != c.want {
				t.Fatalf("Parse(%q) = %s", c.in, v)
			}
		})
	}
}

// TestCheckHA: HA kube-apiservers pass within one minor of each other,
// in any order, and fail two apart, naming the oldest and the newest
// (even when each is within one of a third in the middle).
func TestCheckHA(t *testing.T) {
	for _, c := range []struct {
		versions []string
		fail     string
	}{
		{nil, ""},
		{[]string{"1.33.0"}, ""},
		{[]string{"1.33.0", "1.32.4", "1.33.1"}, ""},
		{[]string{"1.33.0", "1.32.4", "1.34.0"}, "kube-apiserver 1.32.4 with kube-apiserver 1.34.0"},
		{[]string{"1.34.0", "1.32.4"}, "kube-apiserver 1.32.4 with kube-apiserver 1.34.0"},
	} {
		var vs []Version
		for _, s := range c.versions {
			vs = append(vs, mustParse(t, s))
		}
		err := CheckHA(vs)
		switch {
		case c.fail == "" && err != nil:
			t.Errorf("%v: %v, want nil", c.versions, err)
		case c.fail != "" && (err == nil || err.Rule != RuleHAWithinOne || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("%v: %v, want %s breaking %q", c.versions, err, c.fail, RuleHAWithinOne)
		}
	}
}
