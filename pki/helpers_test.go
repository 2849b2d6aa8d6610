package pki

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTools fails (never skips) when a real tool the tests use is absent.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required on PATH for the pki tests (install it; tests never skip): %v", tool, err)
		}
	}
}

// run runs a real tool and returns its stdout; a failure is fatal.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// testConfig is a small HA-shaped cluster: two control-plane nodes behind
// a DNS endpoint and one worker.
func testConfig(alg string) Config {
	return Config{
		ClusterName:  "demo",
		Endpoint:     "lb.demo.test:6443",
		KeyAlgorithm: alg,
		Nodes: []Node{
			{Name: "cp1", Address: "10.0.0.11", ControlPlane: true},
			{Name: "cp2", Address: "10.0.0.12", ControlPlane: true},
			{Name: "w1", Address: "10.0.0.21"},
		},
	}
}

func mustInit(t *testing.T, dir string, cfg Config, opts ...Option) *Result {
	t.Helper()
	res, err := Init(context.Background(), dir, cfg, opts...)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return res
}

func readFile(t *testing.T, dir, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCert(t *testing.T, dir, rel string) *x509.Certificate {
	t.Helper()
	certs, err := parseCerts(readFile(t, dir, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return certs[0]
}

// snapshot returns every file's content under dir by relative path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kubectlField reads a jsonpath of a kubeconfig with the real kubectl.
func kubectlField(t *testing.T, kubeconfig, jsonpath string) string {
	t.Helper()
	return run(t, "kubectl", "--kubeconfig", kubeconfig, "config", "view", "--raw", "-o", "jsonpath="+jsonpath)
}

// opensslExt returns the subject (RFC 2253) and the value lines of the
// SAN, key usage and extended key usage extensions of a certificate file.
func opensslExt(t *testing.T, file string) (subject, san, ku, eku string) {
	t.Helper()
	out := run(t, "openssl", "x509", "-in", file, "-noout", "-subject", "-nameopt", "RFC2253",
		"-ext", "subjectAltName,keyUsage,extendedKeyUsage")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		next := ""
		if i+1 < len(lines) {
			next = strings.TrimSpace(lines[i+1])
		}
		switch {
		case strings.HasPrefix(l, "subject="):
			subject = strings.TrimPrefix(l, "subject=")
		case strings.Contains(l, "Subject Alternative Name"):
			san = next
		case strings.Contains(l, "X509v3 Key Usage"):
			ku = next
		case strings.Contains(l, "Extended Key Usage"):
			eku = next
		}
	}
	return subject, san, ku, eku
}
