package manifests

import (
	"fmt"
	"strconv"
	"strings"
)

// version is a major.minor.patch triple; flag tables key on major.minor.
type version struct{ major, minor, patch int }

func (v version) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

// atLeast reports whether v's minor is m or later (patch ignored).
func (v version) atLeast(m version) bool {
	if v.major != m.major {
		return v.major > m.major
	}
	return v.minor >= m.minor
}

// inRange reports whether v's minor lies in [from, to); a zero to is open.
func (v version) inRange(from, to version) bool {
	if from != (version{}) && !v.atLeast(from) {
		return false
	}
	return to == (version{}) || !v.atLeast(to)
}

func trimV(s string) string { return strings.TrimPrefix(s, "v") }

// parseVersion reads "1.33", "1.33.0", "v1.33.0" or "3.5.16"; a pre-release
// or build suffix after '-' or '+' is ignored.
func parseVersion(s string) (version, error) {
	core := trimV(s)
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return version{}, fmt.Errorf("parsing version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return version{}, fmt.Errorf("parsing version %q: %q is not a number", s, p)
		}
		nums[i] = n
	}
	return version{nums[0], nums[1], nums[2]}, nil
}

// etcdProbeStyle picks the etcd health endpoints kubeadm probes.
type etcdProbeStyle int

const (
	// etcdProbeHealth is /health?exclude=NOSPACE&serializable=true for
	// liveness and /health?serializable=false for startup; no readiness.
	etcdProbeHealth etcdProbeStyle = iota
	// etcdProbeLivez is /livez for liveness, /readyz for readiness and startup
	// (etcd 3.5.11+, kubeadm 1.31+, kubernetes/kubernetes#124465).
	etcdProbeLivez
)

// kubeMinor is one supported Kubernetes minor.
type kubeMinor struct {
	v version
	// defaultEtcd is the etcd kubeadm of that minor deploys by default.
	defaultEtcd string
	// etcdProbes is the probe style kubeadm of that minor writes; it falls
	// back to etcdProbeHealth when the etcd in use has no /livez.
	etcdProbes etcdProbeStyle
}

// kubeMinors is the table of supported Kubernetes minors, oldest first.
var kubeMinors = []kubeMinor{
	{v: version{1, 30, 0}, defaultEtcd: "3.5.15", etcdProbes: etcdProbeHealth},
	{v: version{1, 31, 0}, defaultEtcd: "3.5.15", etcdProbes: etcdProbeLivez},
	{v: version{1, 32, 0}, defaultEtcd: "3.5.16", etcdProbes: etcdProbeLivez},
	{v: version{1, 33, 0}, defaultEtcd: "3.5.21", etcdProbes: etcdProbeLivez},
	{v: version{1, 34, 0}, defaultEtcd: "3.6.4", etcdProbes: etcdProbeLivez},
}

// etcdProfile is one supported etcd minor.
type etcdProfile struct {
	v version
	// livezSincePatch is the first patch of this minor serving /livez and
	// /readyz; -1 means none does.
	livezSincePatch int
}

// etcdProfiles is the table of supported etcd minors, oldest first. Their
// flag differences live in etcdFlags.
var etcdProfiles = []etcdProfile{
	{v: version{3, 4, 0}, livezSincePatch: -1},
	{v: version{3, 5, 0}, livezSincePatch: 11},
	{v: version{3, 6, 0}, livezSincePatch: 0},
}

// SupportedKubernetesMinors lists the Kubernetes minors with a flag table,
// oldest first, such as "1.30".
func SupportedKubernetesMinors() []string {
	return minorNames(kubeMinors, func(k kubeMinor) version { return k.v })
}

// SupportedEtcdMinors lists the etcd minors with a profile, oldest first.
func SupportedEtcdMinors() []string {
	return minorNames(etcdProfiles, func(p etcdProfile) version { return p.v })
}

func minorNames[T any](rows []T, v func(T) version) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = v(r).String()
	}
	return out
}

// lookupKube finds the table row for a Kubernetes version string.
func lookupKube(s string) (kubeMinor, version, error) {
	v, err := parseVersion(s)
	if err != nil {
		return kubeMinor{}, v, err
	}
	for _, k := range kubeMinors {
		if k.v.major == v.major && k.v.minor == v.minor {
			return k, v, nil
		}
	}
	return kubeMinor{}, v, fmt.Errorf("%w: Kubernetes %s (supported: %s)",
		ErrUnsupportedVersion, v, strings.Join(SupportedKubernetesMinors(), ", "))
}

// lookupEtcd finds the profile for an etcd version string.
func lookupEtcd(s string) (etcdProfile, version, error) {
	v, err := parseVersion(s)
	if err != nil {
		return etcdProfile{}, v, err
	}
	for _, p := range etcdProfiles {
		if p.v.major == v.major && p.v.minor == v.minor {
			return p, v, nil
		}
	}
	return etcdProfile{}, v, fmt.Errorf("%w: etcd %s (supported: %s)",
		ErrUnsupportedVersion, v, strings.Join(SupportedEtcdMinors(), ", "))
}

// probeStyle combines what kubeadm of the minor writes with what the etcd
// version can serve.
func probeStyle(k kubeMinor, p etcdProfile, etcd version) etcdProbeStyle {
	if k.etcdProbes == etcdProbeLivez && p.livezSincePatch >= 0 && etcd.patch >= p.livezSincePatch {
		return etcdProbeLivez
	}
	return etcdProbeHealth
}
