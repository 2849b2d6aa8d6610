package spec

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/slipway-dev/slipway/node/skew"
)

// Architectures slipway builds for, by their Go (and Debian amd64/arm64)
// names.
var Architectures = []string{"amd64", "arm64", "ppc64le", "s390x"}

// ParseVersion reads a semantic version without a leading "v".
func ParseVersion(s string) (skew.Version, error) { return skew.Parse(s) }

var (
	dnsLabel    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	packageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	revisionRe  = regexp.MustCompile(`^[0-9A-Za-z.+~]+$`)
	sha256Re    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	modeRe      = regexp.MustCompile(`^0?[0-7]{3,4}$`)
	dependRe    = regexp.MustCompile(`^([a-z0-9][a-z0-9+.-]+)(?:\s*(>=|<=|=|>>|<<|>|<)\s*([0-9][0-9A-Za-z.+~:-]*))?$`)
)

// validator checks the semantics of a decoded document and reports each
// problem at the position of its field path.
type validator struct {
	file      string
	report    *Report
	positions map[string]pos
	bad       map[string]bool // paths already reported as malformed
}

// reported tells whether path or one of its ancestors had a structural
// error, which makes further problems there noise.
func (v *validator) reported(path string) bool {
	for q := path; q != ""; {
		if v.bad[q] {
			return true
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	return false
}

func (v *validator) problem(sev Severity, path, format string, args ...any) {
	if v.reported(path) {
		return
	}
	p := Problem{Severity: sev, File: v.file, Path: path, Message: fmt.Sprintf(format, args...)}
	// The closest recorded ancestor gives the position of a missing field.
	for q := path; ; {
		if at, ok := v.positions[q]; ok {
			p.Line, p.Column = at.line, at.col
			break
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	v.report.add(p)
}

func (v *validator) errorf(path, format string, args ...any) { v.problem(Error, path, format, args...) }

func (v *validator) warnf(path, format string, args ...any) {
	v.problem(Warning, path, format, args...)
}

func (v *validator) release(r *Release) {
	v.header(r.APIVersion, r.Metadata.Name)
	s := &r.Spec
	v.version("spec.version", s.Version)
	k8s, k8sOK := v.version("spec.kubernetesVersion", s.KubernetesVersion)
	v.architectures(s.Architectures)
	v.components(s)
	if k8sOK {
		v.skew(s, k8s)
	}
	v.packages(r)
	v.releaseImages(r)
	v.nodeOS(r)
	if s.Signing != nil {
		v.signing(s.Signing)
	}
}

func (v *validator) version(p, s string) (skew.Version, bool) {
	if s == "" {
		v.errorf(p, "is required")
		return skew.Version{}, false
	}
	ver, err := skew.Parse(s)
	if err != nil {
		v.errorf(p, "%v", err)
		return skew.Version{}, false
	}
	return ver, true
}

func (v *validator) architectures(archs []string) {
	if len(archs) == 0 {
		v.errorf("spec.architectures", "is required: list one or more of %s", strings.Join(Architectures, ", "))
	}
	seen := map[string]bool{}
	for i, a := range archs {
		p := fmt.Sprintf("spec.architectures[%d]", i)
		switch {
		case !slices.Contains(Architectures, a):
			v.errorf(p, "unknown architecture %q: use one of %s%s", a, strings.Join(Architectures, ", "), archHint(a))
		case seen[a]:
			v.errorf(p, "duplicate architecture %q", a)
		}
		seen[a] = true
	}
}

// archHint maps other tools' names of an architecture to slipway's.
func archHint(a string) string {
	hints := map[string]string{"x86_64": "amd64", "aarch64": "arm64", "ppc64el": "ppc64le", "arm": "arm64"}
	if h, ok := hints[a]; ok {
		return fmt.Sprintf(" (did you mean %q?)", h)
	}
	return ""
}

func (v *validator) components(s *ReleaseSpec) {
	seen := map[string]bool{}
	for i, c := range s.Components {
		p := fmt.Sprintf("spec.components[%d]", i)
		v.uniqueName(p+".name", "component", c.Name, seen)
		v.version(p+".version", c.Version)
		v.sources(p, c, s.Architectures)
	}
}

// uniqueName checks a required, well-formed name that must not repeat.
func (v *validator) uniqueName(p, kind, name string, seen map[string]bool) {
	switch {
	case name == "":
		v.errorf(p, "is required")
	case !packageName.MatchString(name):
		v.errorf(p, "%q is not a valid %s name: lower-case letters, digits, '-', '+' or '.'", name, kind)
	case seen[name]:
		v.errorf(p, "duplicate %s %q", kind, name)
	}
	seen[name] = true
}

func (v *validator) sources(p string, c Component, archs []string) {
	for _, a := range archs {
		if _, ok := c.Sources[a]; !ok && slices.Contains(Architectures, a) {
			v.errorf(p+".sources", "no source for architecture %s", a)
		}
	}
	for _, a := range sortedKeys(c.Sources) {
		sp := join(p+".sources", a)
		if !slices.Contains(archs, a) {
			v.warnf(sp, "architecture %q is not in spec.architectures; this source is ignored", a)
		}
		v.source(sp, c.Sources[a])
	}
}

func (v *validator) source(p string, s Source) {
	switch {
	case s.URL == "":
		v.errorf(p+".url", "is required")
	case strings.HasPrefix(s.URL, "https://"):
		if s.SHA256 == "" {
			v.errorf(p+".sha256", "is required for https:// sources")
		}
	case strings.HasPrefix(s.URL, "file://"):
		if strings.TrimPrefix(s.URL, "file://") == "" {
			v.errorf(p+".url", "file:// needs a path")
		}
	case strings.HasPrefix(s.URL, "oci://"):
		if strings.TrimPrefix(s.URL, "oci://") == "" {
			v.errorf(p+".url", "oci:// needs an image reference or path")
		}
		if !strings.HasPrefix(s.Path, "/") {
			v.errorf(p+".path", "is required for oci:// sources: the absolute path of the binary inside the image")
		}
	case strings.HasPrefix(s.URL, "http://"):
		v.errorf(p+".url", "plain http:// is not allowed: use https:// with a sha256")
	default:
		v.errorf(p+".url", "%q must start with file://, https:// or oci://", s.URL)
	}
	if s.Path != "" && !strings.HasPrefix(s.URL, "oci://") {
		v.errorf(p+".path", "is only for oci:// sources")
	}
	if s.SHA256 != "" && !sha256Re.MatchString(s.SHA256) {
		v.errorf(p+".sha256", "must be 64 lower-case hex digits")
	}
}

func (v *validator) skew(s *ReleaseSpec, api skew.Version) {
	for i, c := range s.Components {
		ver, err := skew.Parse(c.Version)
		if err != nil {
			continue
		}
		if e := skew.CheckComponent(c.Name, ver, api); e != nil {
			v.warnf(fmt.Sprintf("spec.components[%d].version", i), "%s %s is outside the version-skew policy for Kubernetes %s: %s",
				c.Name, ver, api, e.Rule)
		}
	}
}

func (v *validator) signing(s *Signing) {
	if s.OpenPGPKey == "" {
		v.errorf("spec.signing.openpgpKey", "is required when signing is set")
	}
	if s.PassphraseEnv != "" && !envName.MatchString(s.PassphraseEnv) {
		v.errorf("spec.signing.passphraseEnv", "%q is not an environment variable name", s.PassphraseEnv)
	} else if s.PassphraseEnv != "" {
		if _, ok := os.LookupEnv(s.PassphraseEnv); !ok {
			v.warnf("spec.signing.passphraseEnv", "%s is not set in the environment", s.PassphraseEnv)
		}
	}
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// DependParts splits a dependency "name op version" into its parts
// (whole, name, op, version); nil when malformed.
func DependParts(d string) []string { return dependRe.FindStringSubmatch(d) }
