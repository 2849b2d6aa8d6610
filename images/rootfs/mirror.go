package rootfs

// AptMirror finds the Debian mirror the build host already uses, reading
// apt's sources in both formats: one-line (sources.list, *.list) and
// deb822 (*.sources).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/slipway-dev/slipway/internal/deb822"
)

// DefaultMirror is the mirror BuildDebian uses when Debian.Mirror is empty
// and the host's apt sources name none for the suite.
const DefaultMirror = "http://deb.debian.org/debian"

// ErrNoMirror is returned by AptMirror when no source serves the suite.
var ErrNoMirror = errors.New("no apt source serves the suite's main component")

// aptSource is one source entry, in either format.
type aptSource struct {
	types, uris, suites, components []string
	enabled                         bool
}

// AptMirror returns the URI of the first apt source under etcApt (normally
// /etc/apt) that serves binary packages ("deb") of suite's main component,
// reading sources.list, then sources.list.d/*.list and *.sources in name
// order, as apt does. deb-src entries, deb822 entries with "Enabled: no"
// and files with other names (such as *.disabled) are ignored; a suite
// such as bookworm-security does not match bookworm. A trailing slash is
// dropped from the URI. It returns ErrNoMirror when nothing matches.
func AptMirror(etcApt, suite string) (string, error) {
	files := []string{filepath.Join(etcApt, "sources.list")}
	parts, err := os.ReadDir(filepath.Join(etcApt, "sources.list.d"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading apt sources: %w", err)
	}
	for _, e := range parts {
		if n := e.Name(); strings.HasSuffix(n, ".list") || strings.HasSuffix(n, ".sources") {
			files = append(files, filepath.Join(etcApt, "sources.list.d", n))
		}
	}
	sort.Strings(files[1:])
	for _, f := range files {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("reading apt sources: %w", err)
		}
		parse := parseOneLine
		if strings.HasSuffix(f, ".sources") {
			parse = parseDeb822
		}
		if uri, ok := firstMatch(parse(string(b)), suite); ok {
			return uri, nil
		}
	}
	return "", fmt.Errorf("%w: %s in %s", ErrNoMirror, suite, etcApt)
}

func firstMatch(sources []aptSource, suite string) (string, bool) {
	for _, s := range sources {
		if s.enabled && len(s.uris) > 0 && slices.Contains(s.types, "deb") &&
			slices.Contains(s.suites, suite) && slices.Contains(s.components, "main") &&
			!strings.HasPrefix(s.uris[0], "cdrom:") {
			return strings.TrimRight(s.uris[0], "/"), true
		}
	}
	return "", false
}

// parseOneLine reads "deb [options] uri suite component..." lines.
func parseOneLine(text string) []aptSource {
	var out []aptSource
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], "[") {
			end := slices.IndexFunc(f[1:], func(s string) bool { return strings.HasSuffix(s, "]") })
			if end < 0 {
				continue
			}
			f = append(f[:1], f[end+2:]...)
		}
		if len(f) < 4 {
			continue
		}
		out = append(out, aptSource{types: f[:1], uris: f[1:2], suites: f[2:3], components: f[3:], enabled: true})
	}
	return out
}

// parseDeb822 reads deb822 stanzas separated by blank lines.
func parseDeb822(text string) []aptSource {
	var out []aptSource
	for _, stanza := range deb822.Stanzas(text) {
		s := aptSource{
			types:      strings.Fields(stanza["types"]),
			uris:       strings.Fields(stanza["uris"]),
			suites:     strings.Fields(stanza["suites"]),
			components: strings.Fields(stanza["components"]),
			enabled:    !strings.EqualFold(strings.TrimSpace(stanza["enabled"]), "no"),
		}
		out = append(out, s)
	}
	return out
}
