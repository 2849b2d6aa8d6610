// Package skew implements the Kubernetes version-skew policy as pure
// functions: which component versions may run beside which control plane,
// and which upgrades are allowed. It is used before anything is built or
// written, on build hosts and on nodes.
package skew

import (
	"fmt"
	"regexp"
	"strconv"
)

// Version is a semantic version: major.minor.patch with an optional
// pre-release (-rc.1) and build (+meta) suffix.
type Version struct {
	Major, Minor, Patch int
	Pre, Build          string
}

var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$`)

// Parse reads a semantic version without a leading "v".
func Parse(s string) (Version, error) {
	m := semver.FindStringSubmatch(s)
	if m == nil {
		if len(s) > 1 && s[0] == 'v' && semver.MatchString(s[1:]) {
			return Version{}, fmt.Errorf("version %q: drop the leading v (%s)", s, s[1:])
		}
		return Version{}, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH (e.g. 1.32.4)", s)
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	v.Pre, v.Build = m[4], m[5]
	return v, nil
}

// String formats the version without a leading "v".
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// MinorString is "MAJOR.MINOR", e.g. "1.32".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// minorsBehind returns how many minors v is older than w (negative when
// newer). Versions of different majors are treated as far apart.
func (v Version) minorsBehind(w Version) int {
	if v.Major != w.Major {
		return (w.Major - v.Major) * 1000
	}
	return w.Minor - v.Minor
}
