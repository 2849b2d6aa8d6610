package manifests

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestBuildFlagsRanges drives buildFlags with a made-up table, proving the
// from/to bounds, conditions, overrides and sorting the real tables rely on.
func TestBuildFlagsRanges(t *testing.T) {
	v31, v33 := version{1, 31, 0}, version{1, 33, 0}
	rows := []flagRow{
		{name: "always", value: lit("1")},
		{name: "added-in-1.31", value: lit("1"), from: v31},
		{name: "removed-in-1.33", value: lit("1"), to: v33},
		{name: "feature-gates", value: lit("Old=true"), from: v31, to: v33},
		{name: "feature-gates", value: lit("New=true"), from: v33},
		{name: "only-ha", value: lit("1"), when: multiNode},
	}
	cases := []struct {
		name  string
		v     version
		extra map[string]string
		want  string
	}{
		{name: "1.30 has neither added nor gate", v: version{1, 30, 5},
			want: "--always=1 --removed-in-1.33=1"},
		{name: "1.31 adds flag and old gate", v: version{1, 31, 0},
			want: "--added-in-1.31=1 --always=1 --feature-gates=Old=true --removed-in-1.33=1"},
		{name: "1.32 same as 1.31", v: version{1, 32, 9},
			want: "--added-in-1.31=1 --always=1 --feature-gates=Old=true --removed-in-1.33=1"},
		{name: "1.33 removes flag and switches gate", v: version{1, 33, 0},
			want: "--added-in-1.31=1 --always=1 --feature-gates=New=true"},
		{name: "extra args replace and add", v: version{1, 34, 0}, extra: map[string]string{"always": "2", "aaa": "x"},
			want: "--aaa=x --added-in-1.31=1 --always=2 --feature-gates=New=true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := buildFlags(rows, tc.v, env{}, tc.extra)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got  %s\nwant %s", strings.Join(got, " "), tc.want)
			}
		})
	}
	t.Run("overlapping rows are a table bug", func(t *testing.T) {
		bad := append(rows, flagRow{name: "always", value: lit("again")})
		if _, err := buildFlags(bad, v31, env{}, nil); err == nil {
			t.Error("duplicate row accepted")
		}
	})
}

// TestEtcdFlagsByVersion pins what each etcd minor gets.
func TestEtcdFlagsByVersion(t *testing.T) {
	cases := []struct {
		name       string
		etcd       string
		has, lacks []string
	}{
		{name: "3.4 experimental flags", etcd: "3.4.23",
			has:   []string{"--experimental-initial-corrupt-check=true", "--experimental-watch-progress-notify-interval=5s", "--listen-metrics-urls=http://127.0.0.1:2381"},
			lacks: []string{"--feature-gates", "--watch-progress-notify-interval"}},
		{name: "3.5 experimental flags", etcd: "3.5.16",
			has:   []string{"--experimental-initial-corrupt-check=true", "--experimental-watch-progress-notify-interval=5s"},
			lacks: []string{"--feature-gates"}},
		{name: "3.6 feature gate and plain flag", etcd: "3.6.4",
			has:   []string{"--feature-gates=InitialCorruptCheck=true", "--watch-progress-notify-interval=5s"},
			lacks: []string{"--experimental-"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			flags, err := EtcdFlags(withEtcd(baseConfig("1.33.0"), tc.etcd))
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(flags, " ")
			for _, h := range tc.has {
				if !slices.Contains(flags, h) {
					t.Errorf("missing %s in %s", h, joined)
				}
			}
			for _, l := range tc.lacks {
				if strings.Contains(joined, l) {
					t.Errorf("unexpected %s in %s", l, joined)
				}
			}
		})
	}
}

// TestInitialCluster checks HA membership: every control-plane node, sorted,
// state new; a single node gets only itself and etcd's default state.
func TestInitialCluster(t *testing.T) {
	cases := []struct {
		name  string
		node  Node
		nodes []Node
		want  []string
		lacks string
	}{
		{name: "single node", node: cp1, want: []string{"--initial-cluster=cp1=https://10.0.0.11:2380"}, lacks: "--initial-cluster-state"},
		{name: "three nodes unsorted input", node: cp3, nodes: []Node{cp3, cp1, cp2}, want: []string{
			"--initial-cluster=cp1=https://10.0.0.11:2380,cp2=https://10.0.0.12:2380,cp3=https://10.0.0.13:2380",
			"--initial-cluster-state=new", "--name=cp3", "--listen-peer-urls=https://10.0.0.13:2380",
		}},
		{name: "IPv6 members", node: Node{Name: "a", Address: "fd00::1"},
			nodes: []Node{{Name: "b", Address: "fd00::2"}, {Name: "a", Address: "fd00::1"}}, want: []string{
				"--initial-cluster=a=https://[fd00::1]:2380,b=https://[fd00::2]:2380",
				"--listen-client-urls=https://[::1]:2379,https://[fd00::1]:2379",
				"--listen-metrics-urls=http://[::1]:2381",
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig("1.33.0")
			cfg.Node, cfg.ControlPlane = tc.node, tc.nodes
			flags, err := EtcdFlags(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !slices.Contains(flags, w) {
					t.Errorf("missing %s in %v", w, flags)
				}
			}
			if tc.lacks != "" && strings.Contains(strings.Join(flags, " "), tc.lacks) {
				t.Errorf("unexpected %s in %v", tc.lacks, flags)
			}
		})
	}
}

// TestEtcdProbeStyle pins which etcd health endpoints each pairing gets:
// kubeadm 1.31+ probes /livez and /readyz, which etcd serves from 3.5.11.
func TestEtcdProbeStyle(t *testing.T) {
	cases := []struct {
		name, kube, etcd, liveness, readiness string
	}{
		{name: "1.30 keeps /health", kube: "1.30.0", etcd: "3.5.15", liveness: "/health?exclude=NOSPACE&serializable=true"},
		{name: "1.31 with 3.5.15 uses livez", kube: "1.31.0", etcd: "3.5.15", liveness: "/livez", readiness: "/readyz"},
		{name: "3.5.10 has no livez", kube: "1.33.0", etcd: "3.5.10", liveness: "/health?exclude=NOSPACE&serializable=true"},
		{name: "3.4 has no livez", kube: "1.33.0", etcd: "3.4.23", liveness: "/health?exclude=NOSPACE&serializable=true"},
		{name: "3.6 uses livez", kube: "1.34.0", etcd: "3.6.0", liveness: "/livez", readiness: "/readyz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod, err := Etcd(withEtcd(baseConfig(tc.kube), tc.etcd))
			if err != nil {
				t.Fatal(err)
			}
			c := pod.Spec.Containers[0]
			if got := c.LivenessProbe.HTTPGet.Path; got != tc.liveness {
				t.Errorf("liveness %s, want %s", got, tc.liveness)
			}
			gotReady := ""
			if c.ReadinessProbe != nil {
				gotReady = c.ReadinessProbe.HTTPGet.Path
			}
			if gotReady != tc.readiness {
				t.Errorf("readiness %q, want %q", gotReady, tc.readiness)
			}
		})
	}
}

// TestFlagTablesEveryCombination builds every pod for every supported minor,
// etcd minor and topology, so no pairing trips a duplicate row.
func TestFlagTablesEveryCombination(t *testing.T) {
	for _, kube := range SupportedKubernetesMinors() {
		for _, etcd := range SupportedEtcdMinors() {
			for _, ha := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/etcd-%s/ha=%v", kube, etcd, ha), func(t *testing.T) {
					cfg := withEtcd(baseConfig(kube+".0"), etcd+".0")
					cfg.ExternalCA = ha
					if ha {
						cfg.ControlPlane = []Node{cp1, cp2, cp3}
					}
					if _, err := ControlPlane(cfg); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}
