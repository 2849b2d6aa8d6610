package packages

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/spec"
)

// debianDocs adds what Debian policy asks of every deb and dpkg-buildpackage
// would have written: /usr/share/doc/PKG/copyright (machine-readable, from
// the package's license), /usr/share/doc/PKG/changelog.Debian.gz, and,
// when the package deliberately departs from policy the way the official
// Kubernetes packages do, lintian overrides saying why.
func (j *job) debianDocs(epoch time.Time) error {
	p := j.pkg
	doc := "/usr/share/doc/" + p.Name
	changelog, err := gzipBest([]byte(fmt.Sprintf("%s (%s-%s) unstable; urgency=medium\n\n  * Built by slipway.\n\n -- %s  %s\n",
		p.Name, debVersion(p.Version), p.Revision, p.Maintainer, epoch.UTC().Format(time.RFC1123Z))))
	if err != nil {
		return err
	}
	j.addGenerated(doc+"/copyright", []byte(copyright(p, epoch.UTC().Year())))
	j.addGenerated(doc+"/changelog.Debian.gz", changelog)
	if o := j.lintianOverrides(); o != "" {
		j.addGenerated("/usr/share/lintian/overrides/"+p.Name, []byte(o))
	}
	sort.Slice(j.contents, func(a, b int) bool { return j.contents[a].Dst < j.contents[b].Dst })
	return nil
}

func (j *job) addGenerated(dst string, data []byte) {
	sum := sha256.Sum256(data)
	j.contents = append(j.contents, content{Dst: dst, Mode: 0o644, data: data, Digest: hex.EncodeToString(sum[:])})
}

// debVersion writes a semver pre-release the Debian way: 1.34.0~rc.1.
func debVersion(v string) string { return strings.Replace(v, "-", "~", 1) }

func copyright(p spec.Package, year int) string {
	text := fmt.Sprintf(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: %s
Source: %s

Files: *
Copyright: %d %s
License: %s
`, p.Name, p.Homepage, year, p.Maintainer, p.License)
	if common := commonLicense(p.License); common != "" {
		text += fmt.Sprintf(" On Debian systems, the full text of the license can be found in\n /usr/share/common-licenses/%s.\n", common)
	}
	return text
}

// commonLicense maps SPDX identifiers to /usr/share/common-licenses names.
func commonLicense(spdx string) string {
	names := map[string]string{"Apache-2.0": "Apache-2.0", "MIT": "", "GPL-2.0-only": "GPL-2", "GPL-3.0-only": "GPL-3",
		"MPL-2.0": "MPL-2.0", "BSD-3-Clause": "BSD"}
	return names[spdx]
}

// lintianOverrides explains the departures from Debian policy that
// Kubernetes packaging makes on purpose: static Go binaries, and the CNI
// plugins in /opt/cni/bin where kubelet and container runtimes look.
func (j *job) lintianOverrides() string {
	var b strings.Builder
	static, opt := false, false
	for _, c := range j.contents {
		if c.static {
			if !static {
				b.WriteString("# Go binaries are statically linked by design.\n")
				static = true
			}
			fmt.Fprintf(&b, "%s: statically-linked-binary [%s]\n", j.pkg.Name, strings.TrimPrefix(c.Dst, "/"))
		}
		if strings.HasPrefix(c.Dst, "/opt/") {
			opt = true
		}
	}
	if opt {
		b.WriteString("# CNI plugins live in /opt/cni/bin, where kubelet and container runtimes look for them.\n")
		fmt.Fprintf(&b, "%s: dir-or-file-in-opt [opt/*]\n", j.pkg.Name)
	}
	return b.String()
}

// gzipBest compresses deterministically (no name, no time), at the
// maximum level lintian asks of changelogs.
func gzipBest(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Header.OS = 3 // Unix, as gzip -n writes it
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
