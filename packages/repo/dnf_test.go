package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/signing"
)

// dnfClient runs the real dnf against one repository, with a private
// install root and cache, checking both package and repomd.xml signatures
// against keyFile.
type dnfClient struct {
	root string
	opts []string
}

// newDNFClient returns a dnf client whose only repository, "t", is repo.
func newDNFClient(t *testing.T, repo, keyFile string) *dnfClient {
	t.Helper()
	root := t.TempDir()
	t.Cleanup(func() { stopGPGAgents(t, filepath.Join(root, "cache")) })
	return &dnfClient{root: root, opts: []string{
		"--assumeyes",
		"--installroot=" + root,
		"--releasever=1",
		"--setopt=reposdir=/dev/null",
		"--setopt=cachedir=" + filepath.Join(root, "cache"),
		"--repofrompath=t,file://" + repo,
		"--repo=t",
		"--setopt=t.gpgcheck=1",
		"--setopt=t.repo_gpgcheck=1",
		"--setopt=t.gpgkey=file://" + keyFile,
		"--setopt=t.metadata_expire=0",
		// dnf (4.14) otherwise skips a repository whose metadata fails
		// verification and exits 0.
		"--setopt=t.skip_if_unavailable=0",
	}}
}

// stopGPGAgents stops the gpg-agent that dnf (through librepo and gpgme)
// starts for each repository keyring under cache; it outlives dnf.
func stopGPGAgents(t *testing.T, cache string) {
	homes, _ := filepath.Glob(filepath.Join(cache, "*", "pubring"))
	for _, h := range homes {
		if out, err := run(t, "", "gpgconf", "--homedir", h, "--kill", "all"); err != nil {
			t.Logf("stopping gpg-agent in %s: %v\n%s", h, err, out)
		}
	}
}

// run runs dnf with the client's options.
func (c *dnfClient) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return run(t, "", "dnf", append(append([]string(nil), c.opts...), args...)...)
}

// signedRPMRepo builds the test .rpm files signed with signer's key and
// returns the repository directory.
func signedRPMRepo(t *testing.T, key func() ([]byte, error)) string {
	t.Helper()
	armored, err := key()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.asc")
	writeFile(t, keyFile, armored)
	repo := t.TempDir()
	buildPackages(t, repo, "rpm", buildOptions{rpmKey: keyFile})
	return repo
}

func TestDNFInstallsFromRepository(t *testing.T) {
	signer := newSigner(t, testKey)
	repo := signedRPMRepo(t, testKey)
	if err := WriteYUM(t.Context(), repo, Options{Signer: signer, Date: repoDate}); err != nil {
		t.Fatalf("WriteYUM: %v", err)
	}
	dnf := newDNFClient(t, repo, filepath.Join(repo, yumRepomdKey))

	out, err := dnf.run(t, "repoquery", "--requires", "slipway-test-app")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "slipway-test-base >= 1.0.0") {
		t.Errorf("dnf repoquery --requires lacks the dependency:\n%s", out)
	}
	out, err = dnf.run(t, "repoquery", "--whatprovides", "/usr/bin/slipway-test-app", "--qf", "%{name}-%{version}-%{release}.%{arch}")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "slipway-test-app-1.2.3-1.x86_64") {
		t.Errorf("dnf repoquery --whatprovides a primary file found nothing:\n%s", out)
	}

	// A real install: dnf resolves the dependency, checks the package
	// signatures and has rpm unpack both into the install root.
	if _, err := dnf.run(t, "install", "slipway-test-app", "slipway-test-doc"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"usr/bin/slipway-test-app", "usr/share/slipway-test-base/slipway-test-base.txt", "usr/share/slipway-test-doc/slipway-test-doc.txt"} {
		if _, err := os.Stat(filepath.Join(dnf.root, f)); err != nil {
			t.Errorf("dnf install left no %s: %v", f, err)
		}
	}
}

func TestDNFRejectsBadRepository(t *testing.T) {
	signer := newSigner(t, testKey)
	cases := []struct {
		name    string
		signer  *signing.Signer
		tamper  func(t *testing.T, repo string)
		message string // expected in dnf's output
	}{
		{name: "signed by another key", signer: newSigner(t, otherKey), message: "repomd.xml GPG signature verification error"},
		{name: "tampered repomd.xml", signer: signer, message: "repomd.xml GPG signature verification error",
			tamper: func(t *testing.T, repo string) {
				replaceIn(t, filepath.Join(repo, yumRepomd), "<revision>", "<revision>1")
			}},
		{name: "missing signature", signer: signer, message: "GPG signature is not available",
			tamper: func(t *testing.T, repo string) { os.Remove(filepath.Join(repo, yumRepomdSig)) }},
		{name: "unsigned", message: "GPG signature is not available"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := signedRPMRepo(t, testKey)
			if err := WriteYUM(t.Context(), repo, Options{Signer: c.signer, Date: repoDate}); err != nil {
				t.Fatalf("WriteYUM: %v", err)
			}
			if c.tamper != nil {
				c.tamper(t, repo)
			}
			keyFile := filepath.Join(t.TempDir(), "trusted.asc")
			writeFile(t, keyFile, signer.PublicKeyArmored())
			out, err := newDNFClient(t, repo, keyFile).run(t, "repoquery", "slipway-test-app")
			if err == nil {
				t.Fatalf("dnf accepted the repository:\n%s", out)
			}
			if !strings.Contains(out, c.message) {
				t.Errorf("dnf output lacks %q:\n%s", c.message, out)
			}
		})
	}
}

func TestDNFAcceptsEmptyRepository(t *testing.T) {
	repo := t.TempDir()
	if err := WriteYUM(t.Context(), repo, Options{Signer: newSigner(t, testKey), Date: repoDate}); err != nil {
		t.Fatalf("WriteYUM: %v", err)
	}
	out, err := newDNFClient(t, repo, filepath.Join(repo, yumRepomdKey)).run(t, "repoquery")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "slipway-test") {
		t.Errorf("dnf lists packages in an empty repository:\n%s", out)
	}
}
