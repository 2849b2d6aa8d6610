package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// lintianLine is one tag lintian reports: "W: pkg: tag [detail]" or
// "W: pkg binary: tag ...".
var lintianLine = regexp.MustCompile(`^([EWIPNXO]): ([^: ]+)(?: [a-z]+)?: ([a-z0-9][a-z0-9+.-]*)(.*)$`)

// TestLintian runs lintian on every .deb of the repository (amd64 and
// arm64): no errors, and every warning tag must be explained in
// lintian-allowed.txt.
func TestLintian(t *testing.T) {
	needTools(t, "lintian")
	f := release(t)
	debs := glob(t, filepath.Join(f.debRepo(), "*.deb"))
	r := run(t, nil, "lintian", append([]string{"--allow-root", "--tag-display-limit", "0"}, debs...)...)
	// 1 is a lintian run-time error; 2 says a tag at --fail-on level
	// (error) was found, which the loop below reports tag by tag.
	if r.code != 0 && r.code != 2 {
		t.Fatalf("lintian did not run (exit status %d):\n%s", r.code, tail(r.stderr))
	}
	allowed := allowedLintianTags(t)
	warnings := map[string][]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		m := lintianLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		switch m[1] {
		case "E":
			t.Errorf("lintian error: %s", l)
		case "W":
			warnings[m[3]] = append(warnings[m[3]], m[2]+":"+m[4])
		}
	}
	tags := make([]string, 0, len(warnings))
	for tag := range warnings {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	for _, tag := range tags {
		why, ok := allowed[tag]
		if !ok {
			t.Errorf("lintian warning %s is not explained in lintian-allowed.txt: %s", tag, strings.Join(warnings[tag], "; "))
			continue
		}
		t.Logf("lintian warning %s (%d times, allowed: %s)", tag, len(warnings[tag]), why)
	}
	t.Logf("lintian checked %d packages", len(debs))
}

// allowedLintianTags reads lintian-allowed.txt: "tag: why" lines, with #
// comments.
func allowedLintianTags(t *testing.T) map[string]string {
	t.Helper()
	fh, err := os.Open("lintian-allowed.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	out := map[string]string{}
	s := bufio.NewScanner(fh)
	for s.Scan() {
		l := strings.TrimSpace(s.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		tag, why, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(why) == "" {
			t.Fatalf("lintian-allowed.txt: %q lacks its explanation (tag: why)", l)
		}
		out[strings.TrimSpace(tag)] = strings.TrimSpace(why)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
