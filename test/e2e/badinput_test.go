package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// kubectlSpec is a one-component release whose amd64 kubectl comes from
// source, optionally with its sha256.
func kubectlSpec(source, sha string) string {
	s := `{url: "` + source + `"}`
	if sha != "" {
		s = `{url: "` + source + `", sha256: ` + sha + `}`
	}
	return `apiVersion: slipway.dev/v1alpha1
kind: Release
metadata:
  name: bad
spec:
  version: 0.1.0
  kubernetesVersion: 1.33.0
  architectures: [amd64]
  components:
    - name: kubectl
      version: 1.33.0
      sources:
        amd64: ` + s + `
`
}

// badCase is one invalid input given to the CLI.
type badCase struct {
	name string
	spec string
	env  []string
	code int
	want []string      // each must appear in stderr
	re   string        // and this pattern, once per problem, when set
	n    int           // how many problems re must find
	hits *atomic.Int64 // when set, the https server must be asked
}

// TestBadInput gives the CLI broken input and checks the exit status, a
// message naming the problem, and that the output directory (made
// beforehand, with a marker file) is left exactly as it was, for both
// `packages build` and `packages repo`.
func TestBadInput(t *testing.T) {
	slipwayBin(t)
	root := repoRoot(t)
	arm := filepath.Join(root, "build", "inputs", "arm64", "usr", "bin", "kubectl")
	amd := filepath.Join(root, "build", "inputs", "amd64", "usr", "bin", "kubectl")
	for _, p := range []string{arm, amd} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run hack/fetch-inputs.sh build/inputs amd64 arm64 (make test does)", p)
		}
	}
	missing := filepath.Join(t.TempDir(), "nonexistent", "kubectl")
	url, certFile, hits := tlsServer(t, amd)
	wrong := hex.EncodeToString(sha256.New().Sum(nil)) // the digest of nothing
	cases := []badCase{
		{name: "missing binary", spec: kubectlSpec("file://"+missing, ""), code: 1,
			want: []string{missing, "no such file or directory"}},
		{name: "checksum mismatch", spec: kubectlSpec(url, wrong), env: []string{"SSL_CERT_FILE=" + certFile}, code: 1, hits: hits,
			want: []string{"checksum mismatch", url, wrong, fileSHA256(t, amd)}},
		{name: "wrong architecture", spec: kubectlSpec("file://"+arm, ""), code: 1,
			want: []string{"EM_AARCH64", "EM_X86_64"}},
		{name: "invalid spec", spec: strings.Replace(kubectlSpec("file://"+amd, ""), "[amd64]", "[amd64, sparc]", 1) +
			"  colour: blue\n", code: 2,
			want: []string{"sparc", "colour"}, re: `spec\.yaml:\d+:\d+: error: `, n: 2},
	}
	for _, c := range cases {
		for _, cmd := range []string{"build", "repo"} {
			t.Run(c.name+"/"+cmd, func(t *testing.T) { c.check(t, cmd) })
		}
	}
}

func (c badCase) check(t *testing.T, cmd string) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.yaml")
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(spec, []byte(c.spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "marker"), []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := listing(t, out)
	var asked int64
	if c.hits != nil {
		asked = c.hits.Load()
	}
	r := slipway(t, c.env, "packages", cmd, "-f", spec, "-o", out, "--cache-dir", filepath.Join(dir, "cache"))
	if r.code != c.code {
		t.Errorf("exit status %d, want %d\nstderr:\n%s", r.code, c.code, tail(r.stderr))
	}
	for _, w := range c.want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, tail(r.stderr))
		}
	}
	if c.re != "" {
		if got := len(regexp.MustCompile(c.re).FindAllString(r.stderr, -1)); got != c.n {
			t.Errorf("stderr has %d problems matching %s, want %d (every problem, each with file:line:col):\n%s", got, c.re, c.n, tail(r.stderr))
		}
	}
	if after := listing(t, out); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("output directory changed:\nbefore %v\nafter  %v", before, after)
	}
	if c.hits != nil && c.hits.Load() == asked {
		t.Error("the https server was never asked for the binary")
	}
	t.Logf("exit status %d, stderr:\n%s", r.code, strings.TrimSpace(r.stderr))
}

// tlsServer serves the file at /kubectl over HTTPS on 127.0.0.1, returning
// its URL, a PEM file of its certificate for SSL_CERT_FILE and a request
// counter.
func tlsServer(t *testing.T, file string) (string, string, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on 127.0.0.1: %v", err)
	}
	hits := new(atomic.Int64)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.ServeFile(w, r, file)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cert := filepath.Join(t.TempDir(), "cert.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(cert, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/kubectl", cert, hits
}
