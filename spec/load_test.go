package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
)

const validRelease = `apiVersion: slipway.dev/v1alpha1
kind: Release
metadata:
  name: test
spec:
  version: 1.0.0
  kubernetesVersion: 1.33.0
  architectures: [amd64, arm64]
  components:
    - name: kubectl
      version: 1.33.0
      sources:
        amd64: {url: file://bin/amd64/kubectl}
        arm64:
          url: https://example.invalid/kubectl
          sha256: abcdef0000000000000000000000000000000000000000000000000000000000
  packages:
    - name: extra
      version: 2.0.0
      files:
        - dst: /etc/extra.conf
          content: "x=1\n"
          type: config
`

func TestLoadValid(t *testing.T) {
	r, report, err := ParseRelease("release.yaml", []byte(validRelease))
	if err != nil {
		t.Fatalf("valid release rejected: %v", err)
	}
	if len(report.Problems) != 0 {
		t.Fatalf("unexpected problems:\n%s", report)
	}
	var names []string
	for _, p := range r.Packages() {
		names = append(names, p.Name+"="+p.Version)
	}
	// kubectl (its component is declared), slipway-node (always) and the
	// added package, in that order, with versions filled in.
	want := "kubectl=1.33.0 slipway-node=1.0.0 extra=2.0.0"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("packages = %s, want %s", got, want)
	}
}

// TestLoadInvalid feeds broken documents and checks that each problem is
// reported with its line, column and path.
func TestLoadInvalid(t *testing.T) {
	cases := []struct {
		name string
		old  string // replaced in validRelease
		new  string
		want []string // substrings of the report, in order of appearance
	}{
		{"unknown field", "  version: 1.0.0\n", "  version: 1.0.0\n  verison: 2\n",
			[]string{`release.yaml:7:3: error: spec.verison: unknown field "verison" (did you mean "version"?)`}},
		{"wrong type list", "architectures: [amd64, arm64]", "architectures: amd64",
			[]string{"release.yaml:8:18: error: spec.architectures: must be a list"}},
		{"number for string", "kubernetesVersion: 1.33.0", "kubernetesVersion: 1.33",
			[]string{`spec.kubernetesVersion: must be a string, not number 1.33: quote it ("1.33")`}},
		{"bad version", "version: 1.0.0\n  kubernetes", "version: one\n  kubernetes",
			[]string{`release.yaml:6:12: error: spec.version: version "one" is not MAJOR.MINOR.PATCH`}},
		{"leading v", "kubernetesVersion: 1.33.0", "kubernetesVersion: v1.33.0",
			[]string{"drop the leading v"}},
		{"unknown arch", "[amd64, arm64]", "[amd64, x86_64]",
			[]string{`spec.architectures[1]: unknown architecture "x86_64"`, `did you mean "amd64"?`}},
		{"duplicate arch", "[amd64, arm64]", "[amd64, amd64]",
			[]string{`spec.architectures[1]: duplicate architecture "amd64"`}},
		{"missing source for arch", "[amd64, arm64]", "[amd64, arm64, s390x]",
			[]string{"spec.components[0].sources: no source for architecture s390x"}},
		{"https without sha256", "          sha256: abcdef0000000000000000000000000000000000000000000000000000000000\n", "",
			[]string{"spec.components[0].sources.arm64.sha256: is required for https:// sources"}},
		{"bad sha256", "sha256: abcdef0000000000000000000000000000000000000000000000000000000000", "sha256: abc",
			[]string{"sources.arm64.sha256: must be 64 lower-case hex digits"}},
		{"plain http", "https://example.invalid", "http://example.invalid",
			[]string{"plain http:// is not allowed"}},
		{"unknown scheme", "file://bin/amd64/kubectl", "ftp://x/kubectl",
			[]string{`"ftp://x/kubectl" must start with file://, https:// or oci://`}},
		{"bad os section", "  packages:\n", "  os:\n    rootfs: {image: ./os, tarball: root.tar}\n    disk: {slot: 2GB, slotFilesystem: btrfs, formats: [vmdk]}\n  packages:\n",
			[]string{`spec.os.rootfs: give one of debian, image, tarball or directory, not 2`, `spec.os.disk.slot: "2GB" is not a size`,
				`spec.os.disk.slotFilesystem: "btrfs": want squashfs or erofs`, `spec.os.disk.formats[0]: "vmdk": want raw or qcow2`}},
		{"oci source without path", "{url: file://bin/amd64/kubectl}", "{url: oci://registry.example/kubectl:v1.33.0}",
			[]string{`sources.amd64.path: is required for oci:// sources`}},
		{"path on a file source", "{url: file://bin/amd64/kubectl}", "{url: file://bin/amd64/kubectl, path: /usr/bin/kubectl}",
			[]string{`sources.amd64.path: is only for oci:// sources`}},
		{"duplicate package", "  packages:\n", "  packages:\n    - name: extra\n      version: 1.0.0\n      files: [{dst: /x, content: y}]\n",
			[]string{`spec.packages[1].name: duplicate package "extra"`}},
		{"duplicate component", "  components:\n", "  components:\n    - name: kubectl\n      version: 1.33.0\n      sources: {amd64: {url: file://a}, arm64: {url: file://b}}\n",
			[]string{`spec.components[1].name: duplicate component "kubectl"`}},
		{"path traversal in dst", "dst: /etc/extra.conf", "dst: /etc/../../root/.ssh/authorized_keys",
			[]string{`spec.packages[0].files[0].dst: "/etc/../../root/.ssh/authorized_keys" must not contain '..' (path traversal)`}},
		{"relative dst", "dst: /etc/extra.conf", "dst: etc/extra.conf",
			[]string{`"etc/extra.conf" must be an absolute path`}},
		{"unclean dst", "dst: /etc/extra.conf", "dst: /etc//extra.conf/",
			[]string{`"/etc//extra.conf/" is not clean: write "/etc/extra.conf"`}},
		{"install to root", "dst: /etc/extra.conf", "dst: /",
			[]string{"cannot install to /"}},
		{"two content sources", `content: "x=1\n"`, `content: "x"` + "\n          src: a",
			[]string{"give exactly one of from, src or content"}},
		{"unknown file type", "type: config", "type: symlink",
			[]string{`unknown type "symlink"`}},
		{"bad mode", "type: config", "type: config\n          mode: \"999\"",
			[]string{`"999" must be an octal mode`}},
		{"unknown format", "      version: 2.0.0\n", "      version: 2.0.0\n      formats: [deb, apk]\n",
			[]string{`spec.packages[0].formats[1]: unknown format "apk"`}},
		{"bad dependency", "      version: 2.0.0\n", "      version: 2.0.0\n      depends: [\"libc6 (>= 2.36)\"]\n",
			[]string{`spec.packages[0].depends[0]: "libc6 (>= 2.36)" must be NAME or NAME OP VERSION`}},
		{"bad package name", "- name: extra", "- name: Extra_Pkg",
			[]string{`"Extra_Pkg" is not a valid package name`}},
		{"from undeclared component", `content: "x=1\n"`, "from: etcd",
			[]string{`spec.packages[0].files[0].from: component "etcd" is not declared`}},
		{"builtin without component", "  packages:\n", "  packages:\n    - name: kubelet\n      revision: \"2\"\n",
			[]string{`package kubelet takes component "kubelet", which spec.components does not declare`}},
		{"wrong apiVersion", "slipway.dev/v1alpha1", "slipway.dev/v1",
			[]string{`release.yaml:1:13: error: apiVersion: must be slipway.dev/v1alpha1, not "slipway.dev/v1"`}},
		{"bad name", "name: test", "name: Test_1",
			[]string{`metadata.name: "Test_1" must be a DNS label`}},
		{"duplicate key", "  version: 1.0.0\n", "  version: 1.0.0\n  version: 1.0.1\n",
			[]string{`spec.version: duplicate field "version"`}},
		{"signing without key", "  packages:\n", "  signing: {passphraseEnv: X}\n  packages:\n",
			[]string{"spec.signing.openpgpKey: is required when signing is set"}},
		{"yaml syntax", "  name: test\n", "  name: [test\n",
			[]string{"error: parsing YAML"}},
		{"no release document", "kind: Release", "kind: Cluster",
			[]string{`no document with kind: Release (found kinds ["Cluster"])`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectInvalid(t, validRelease, c.old, c.new, c.want, func(doc []byte) (*Report, error) {
				_, r, err := ParseRelease("release.yaml", doc)
				return r, err
			})
		})
	}
}

// expectInvalid edits base (old → new), parses it, and checks that the
// document is refused with every wanted substring in the report.
func expectInvalid(t *testing.T, base, old, new string, want []string, parse func([]byte) (*Report, error)) {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("test case does not apply: %q not in the base document", old)
	}
	doc := strings.Replace(base, old, new, 1)
	report, err := parse([]byte(doc))
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want *InvalidError; document:\n%s", err, doc)
	}
	for _, w := range want {
		if !strings.Contains(report.String(), w) {
			t.Errorf("report lacks %q; got:\n%s", w, report)
		}
	}
}

// TestAllProblemsAtOnce checks that independent problems are all reported.
func TestAllProblemsAtOnce(t *testing.T) {
	doc := strings.NewReplacer("version: 1.0.0", "version: x", "[amd64, arm64]", "[amd64, sparc, arm64]",
		"dst: /etc/extra.conf", "dst: ../x", "  packages:\n", "  colour: blue\n  packages:\n",
		"kubernetesVersion: 1.33.0", "kubernetesVersion: 1.33").Replace(validRelease)
	_, report, err := ParseRelease("r.yaml", []byte(doc))
	if err == nil {
		t.Fatal("invalid document accepted")
	}
	// Structural problems (unknown field, number for a string) do not hide
	// semantic ones, and are not repeated as "is required".
	want := []string{
		`r.yaml:6:12: error: spec.version: version "x" is not MAJOR.MINOR.PATCH`,
		`r.yaml:7:22: error: spec.kubernetesVersion: must be a string, not number 1.33`,
		`r.yaml:8:26: error: spec.architectures[1]: unknown architecture "sparc"`,
		`r.yaml:17:3: error: spec.colour: unknown field "colour"`,
		`spec.packages[0].files[0].dst: "../x" must be an absolute path`,
	}
	got := report.String()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("report lacks %q:\n%s", w, got)
		}
	}
	if n := len(report.Errors()); n != len(want) {
		t.Errorf("%d errors, want %d:\n%s", n, len(want), got)
	}
}

func TestSkewWarning(t *testing.T) {
	doc := strings.Replace(validRelease, "      version: 1.33.0\n      sources", "      version: 1.20.2\n      sources", 1)
	_, report, err := ParseRelease("release.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("skew must warn, not fail: %v", err)
	}
	w := report.Warnings()
	if len(w) != 1 || !strings.Contains(w[0].String(), "release.yaml:11:16: warning: spec.components[0].version: kubectl 1.20.2 is outside the version-skew policy for Kubernetes 1.33.0: kubectl is supported within one minor version") {
		t.Fatalf("warnings = %v", w)
	}
}

func TestOverrideMergesBuiltin(t *testing.T) {
	doc := strings.Replace(validRelease, "  packages:\n", "  packages:\n    - name: kubectl\n      revision: \"3\"\n      depends: [bash-completion]\n", 1)
	r, _, err := ParseRelease("release.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := r.Packages()[0]
	if p.Name != "kubectl" || p.Revision != "3" || p.Version != "1.33.0" || len(p.Files) != 1 || p.Depends[0] != "bash-completion" {
		t.Fatalf("merged kubectl = %+v", p)
	}
}

func TestMultiDocument(t *testing.T) {
	doc := "apiVersion: slipway.dev/v1alpha1\nkind: Cluster\nmetadata: {name: c}\n---\n" + validRelease
	r, _, err := ParseRelease("all.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if r.Metadata.Name != "test" {
		t.Fatalf("name = %q", r.Metadata.Name)
	}
}

// TestSchemaUpToDate regenerates every schema with its descriptions (the
// test runs in spec/, where the comments are) and compares it with the
// embedded file byte for byte.
func TestSchemaUpToDate(t *testing.T) {
	for _, kind := range Kinds {
		b, err := GenerateSchema(kind, func(r *jsonschema.Reflector) error {
			return r.AddGoComments("github.com/slipway-dev/slipway/spec", ".")
		})
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := Schema(kind)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(embedded) {
			t.Errorf("%s schema is out of date: run make generate", kind)
		}
	}
}

func FuzzParseRelease(f *testing.F) {
	f.Add([]byte(validRelease))
	f.Add([]byte("kind: Release\nspec: {architectures: [1, {a: b}]}\n"))
	f.Add([]byte("kind: Release\nspec: &a {packages: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, report, err := ParseRelease("fuzz.yaml", data)
		if err == nil && r == nil {
			t.Fatal("nil release without error")
		}
		if err != nil && report != nil && !report.IsFatal() {
			var inv *InvalidError
			if errors.As(err, &inv) {
				t.Fatalf("InvalidError without errors in report: %v", err)
			}
		}
		if r != nil {
			_ = r.Packages()
		}
	})
}

func TestImagesValidation(t *testing.T) {
	base := strings.Replace(validRelease, "  packages:\n", "  images:\n    - name: kubectl\n      component: kubectl\n      base: {debian: [libc6]}\n  packages:\n", 1)
	if _, _, err := ParseRelease("r.yaml", []byte(base)); err != nil {
		t.Fatalf("valid image refused: %v", err)
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"unknown component", "component: kubectl\n      base", "component: etcd\n      base", `component "etcd" is not declared`},
		{"bad name", "- name: kubectl\n      component", "- name: Kube_CTL\n      component", "is not a repository name"},
		{"arch in package", "[libc6]", "[\"libc6:amd64\"]", "is not a Debian package name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectInvalid(t, base, c.old, c.new, []string{c.want}, func(doc []byte) (*Report, error) {
				_, r, err := ParseRelease("r.yaml", doc)
				return r, err
			})
		})
	}
}
