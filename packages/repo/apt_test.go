package repo

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/signing"
)

// aptClient runs the real apt-get against one repository with a private
// state, cache and configuration, trusting only the key in keyFile.
type aptClient struct {
	root string
	opts []string
}

// newAPTClient returns an apt client whose only source is
// "deb [signed-by=keyFile] file:repo /".
func newAPTClient(t *testing.T, repo string, key []byte) *aptClient {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"state/lists/partial", "cache/archives/partial", "parts", "sources.d", "trusted.d", "prefs.d", "log"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	keyFile := filepath.Join(root, "repo-key.gpg")
	writeFile(t, keyFile, key)
	writeFile(t, filepath.Join(root, "status"), nil)
	writeFile(t, filepath.Join(root, "sources.list"),
		[]byte("deb [signed-by="+keyFile+"] file:"+repo+" /\n"))
	set := func(k, v string) string { return "-o" + k + "=" + v }
	return &aptClient{root: root, opts: []string{
		set("Dir::State", filepath.Join(root, "state")),
		set("Dir::State::status", filepath.Join(root, "status")),
		set("Dir::Cache", filepath.Join(root, "cache")),
		set("Dir::Log", filepath.Join(root, "log")),
		set("Dir::Etc::Parts", filepath.Join(root, "parts")),
		set("Dir::Etc::SourceList", filepath.Join(root, "sources.list")),
		set("Dir::Etc::SourceParts", filepath.Join(root, "sources.d")),
		set("Dir::Etc::Trusted", filepath.Join(root, "trusted.gpg")),
		set("Dir::Etc::TrustedParts", filepath.Join(root, "trusted.d")),
		set("Dir::Etc::Preferences", filepath.Join(root, "prefs")),
		set("Dir::Etc::PreferencesParts", filepath.Join(root, "prefs.d")),
		set("APT::Get::AllowUnauthenticated", "false"),
		set("Acquire::AllowInsecureRepositories", "false"),
		set("Acquire::Languages", "none"),
		set("APT::Sandbox::User", "root"),
		set("Debug::NoLocking", "true"),
		set("APT::Architecture", "amd64"),
		set("APT::Architectures", "amd64"),
	}}
}

// run runs apt-get (or apt-cache) with the client's options.
func (c *aptClient) run(t *testing.T, cwd, tool string, args ...string) (string, error) {
	t.Helper()
	return run(t, cwd, tool, append(slicesClone(c.opts), args...)...)
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// warnings returns the W: and E: lines apt printed.
func warnings(out string) []string {
	return regexp.MustCompile(`(?m)^[WE]: .*$`).FindAllString(out, -1)
}

func TestAPTClientInstallsFromRepository(t *testing.T) {
	repo := t.TempDir()
	debs := buildPackages(t, repo, "deb")
	signer := newSigner(t, testKey)
	if err := WriteAPT(t.Context(), repo, Options{Signer: signer, Date: repoDate, Suite: "v1.31"}); err != nil {
		t.Fatalf("WriteAPT: %v", err)
	}
	apt := newAPTClient(t, repo, signer.PublicKey())

	out, err := apt.run(t, "", "apt-get", "update")
	if err != nil {
		t.Fatal(err)
	}
	if w := warnings(out); len(w) > 0 {
		t.Errorf("apt-get update warned:\n%s", strings.Join(w, "\n"))
	}

	out, err = apt.run(t, "", "apt-get", "install", "--simulate", "--yes", "slipway-test-app", "slipway-test-doc")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Inst slipway-test-base (1.0.0-1 ", "Inst slipway-test-app (1.2.3-1 ", "Inst slipway-test-doc (0.1.0~rc.1-1 "} {
		if !strings.Contains(out, want) {
			t.Errorf("apt-get install -s output lacks %q:\n%s", want, out)
		}
	}

	out, err = apt.run(t, "", "apt-cache", "policy")
	if err != nil {
		t.Fatal(err)
	}
	if want := "release o=slipway,a=v1.31,n=v1.31,l=slipway,c=\n"; !strings.Contains(out, want) {
		t.Errorf("apt-cache policy lacks %q:\n%s", want, out)
	}

	// apt-get download checks Size and the checksums from Packages.
	dl := t.TempDir()
	if _, err := apt.run(t, dl, "apt-get", "download", "slipway-test-app"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dl, debs[1]))
	if err != nil {
		t.Fatalf("apt-get download wrote no %s: %v", debs[1], err)
	}
	want, _ := os.ReadFile(filepath.Join(repo, debs[1]))
	if !bytes.Equal(got, want) {
		t.Errorf("downloaded %s differs from the published one", debs[1])
	}
}

func TestAPTClientRejectsBadRepository(t *testing.T) {
	signer := newSigner(t, testKey)
	cases := []struct {
		name    string
		signer  *signing.Signer
		trust   *signing.Signer // key given to signed-by
		tamper  func(t *testing.T, repo string)
		message string // expected in apt's output
	}{
		{name: "unsigned", trust: signer, message: "is not signed"},
		{name: "signed by another key", signer: newSigner(t, otherKey), trust: signer, message: "NO_PUBKEY"},
		{name: "tampered InRelease", signer: signer, trust: signer, message: "BADSIG",
			tamper: func(t *testing.T, repo string) {
				replaceIn(t, filepath.Join(repo, aptInRelease), "Label: slipway", "Label: evil")
			}},
		{name: "tampered Release without InRelease", signer: signer, trust: signer, message: "BADSIG",
			tamper: func(t *testing.T, repo string) {
				os.Remove(filepath.Join(repo, aptInRelease))
				replaceIn(t, filepath.Join(repo, aptRelease), "Label: slipway", "Label: evil")
			}},
		{name: "tampered Packages", signer: signer, trust: signer, message: "Hash Sum mismatch",
			tamper: func(t *testing.T, repo string) {
				os.Remove(filepath.Join(repo, aptPackagesGz))
				replaceIn(t, filepath.Join(repo, aptPackages), "Priority: optional", "Priority: required")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			buildPackages(t, repo, "deb")
			if err := WriteAPT(t.Context(), repo, Options{Signer: c.signer, Date: repoDate}); err != nil {
				t.Fatalf("WriteAPT: %v", err)
			}
			if c.tamper != nil {
				c.tamper(t, repo)
			}
			apt := newAPTClient(t, repo, c.trust.PublicKey())
			out, err := apt.run(t, "", "apt-get", "update")
			if err == nil && len(warnings(out)) == 0 {
				t.Fatalf("apt-get update accepted the repository:\n%s", out)
			}
			if !strings.Contains(out, c.message) {
				t.Errorf("apt-get update output lacks %q:\n%s", c.message, out)
			}
			if out, err := apt.run(t, "", "apt-get", "install", "--simulate", "slipway-test-app"); err == nil {
				t.Errorf("apt-get install -s succeeded from a rejected repository:\n%s", out)
			}
		})
	}
}

// replaceIn replaces the first old with new in the file at path.
func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	writeFile(t, path, bytes.Replace(data, []byte(old), []byte(new), 1))
}

func TestAPTClientAcceptsEmptyRepository(t *testing.T) {
	repo := t.TempDir()
	signer := newSigner(t, testKey)
	if err := WriteAPT(t.Context(), repo, Options{Signer: signer, Date: repoDate}); err != nil {
		t.Fatalf("WriteAPT: %v", err)
	}
	out, err := newAPTClient(t, repo, signer.PublicKey()).run(t, "", "apt-get", "update")
	if err != nil {
		t.Fatal(err)
	}
	if w := warnings(out); len(w) > 0 {
		t.Errorf("apt-get update warned:\n%s", strings.Join(w, "\n"))
	}
}
