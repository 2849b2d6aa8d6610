package pki

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestInitIsIdempotent proves a re-run writes nothing and keeps the CAs
// byte for byte, and that deleting one leaf regenerates only that leaf.
func TestInitIsIdempotent(t *testing.T) {
	requireTools(t, "openssl")
	dir := t.TempDir()
	cfg := testConfig(ECDSAP256)
	mustInit(t, dir, cfg)
	before := snapshot(t, dir)
	res := mustInit(t, dir, cfg)
	if len(res.Written) != 0 {
		t.Errorf("re-run wrote %v", res.Written)
	}
	if after := snapshot(t, dir); !mapsEqual(before, after) {
		t.Errorf("re-run changed the directory")
	}
	os.Remove(filepath.Join(dir, "nodes/cp2/apiserver.crt"))
	os.Remove(filepath.Join(dir, "nodes/w1/kubelet.conf"))
	res = mustInit(t, dir, cfg)
	want := []string{"nodes/cp2/apiserver.crt", "nodes/cp2/apiserver.key", "nodes/w1/kubelet.conf"}
	if !slices.Equal(res.Written, want) {
		t.Errorf("Written = %v, want %v", res.Written, want)
	}
	after := snapshot(t, dir)
	for rel, data := range before {
		if !slices.Contains(want, rel) && after[rel] != data {
			t.Errorf("%s changed", rel)
		}
	}
	run(t, "openssl", "verify", "-CAfile", filepath.Join(dir, "ca.crt"), filepath.Join(dir, "nodes/cp2/apiserver.crt"))
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestInitRefusesInvalidLeaf proves an existing leaf whose SANs no longer
// match the config is reported, not silently replaced, and Renew fixes it.
func TestInitRefusesInvalidLeaf(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(ECDSAP256)
	mustInit(t, dir, cfg)
	cfg.Nodes[0].Address = "10.0.0.99"
	_, err := Init(context.Background(), dir, cfg)
	for _, want := range []string{
		"nodes/cp1/apiserver: lacks IP SAN 10.0.0.99",
		"nodes/cp1/etcd/peer: lacks IP SAN 10.0.0.99",
		"nodes/cp1/scheduler.conf: server is https://10.0.0.11:6443, want https://10.0.0.99:6443",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Init with a changed address: %v\nwant %q", err, want)
		}
	}
	if _, err := Renew(context.Background(), dir, cfg, []string{"nodes/cp1/apiserver", "etcd-server", "etcd-peer", "nodes/cp1/controller-manager.conf", "nodes/cp1/scheduler.conf"}); err != nil {
		t.Fatal(err)
	}
	mustInit(t, dir, cfg)
}

// TestBringYourOwnCA proves a CA made by the real openssl (PKCS #8 key) is
// used as is and signs every leaf.
func TestBringYourOwnCA(t *testing.T) {
	requireTools(t, "openssl")
	dir := t.TempDir()
	run(t, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
		"-subj", "/CN=my-own-ca", "-keyout", filepath.Join(dir, "ca.key"), "-out", filepath.Join(dir, "ca.crt"),
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,digitalSignature")
	caBefore := readFile(t, dir, "ca.crt")
	cfg := testConfig(RSA2048)
	cfg.Mode = ModeBYOCA
	res := mustInit(t, dir, cfg)
	if string(readFile(t, dir, "ca.crt")) != string(caBefore) || slices.Contains(res.Written, "ca.crt") {
		t.Fatalf("ca.crt was rewritten")
	}
	if !slices.Contains(res.Written, "etcd/ca.crt") || res.ExternalCA {
		t.Errorf("etcd CA not generated or CA seen as external: %+v", res)
	}
	for _, f := range []string{"nodes/cp1/apiserver.crt", "nodes/cp2/apiserver-kubelet-client.crt"} {
		out := run(t, "openssl", "verify", "-CAfile", filepath.Join(dir, "ca.crt"), filepath.Join(dir, f))
		if !strings.Contains(out, "OK") {
			t.Errorf("%s: %s", f, out)
		}
	}
}

// TestExternalCA proves ca.crt without ca.key demands every leaf it signs,
// listing each absent file, and once they are there Init writes nothing and
// reports ExternalCA.
func TestExternalCA(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	cfg := testConfig(ECDSAP256)
	mustInit(t, src, cfg)
	copyTree(t, src, dir)
	for _, rel := range []string{"ca.key", "nodes/cp2/apiserver.key", "nodes/w1/kubelet.conf", "admin.conf"} {
		os.Remove(filepath.Join(dir, rel))
	}
	cfg.Mode = ModeExternalCA
	_, err := Init(context.Background(), dir, cfg)
	var missing *MissingFilesError
	if !errors.As(err, &missing) {
		t.Fatalf("Init: %v, want *MissingFilesError", err)
	}
	want := []string{"admin.conf", "nodes/cp2/apiserver.key", "nodes/w1/kubelet.conf"}
	if !slices.Equal(missing.Files, want) {
		t.Errorf("missing %v, want %v", missing.Files, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) == 0 {
		t.Fatal("dir emptied")
	}
	for _, rel := range want {
		copyFile(t, filepath.Join(src, rel), filepath.Join(dir, rel))
	}
	res := mustInit(t, dir, cfg)
	if !res.ExternalCA || !slices.Equal(res.ExternalCAs, []string{CAKubernetes}) || len(res.Written) != 0 {
		t.Errorf("result %+v", res)
	}
	if _, err := Renew(context.Background(), dir, cfg, []string{"apiserver"}); err == nil {
		t.Errorf("Renew of a leaf of an external CA succeeded")
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	for rel := range snapshot(t, src) {
		copyFile(t, filepath.Join(src, rel), filepath.Join(dst, rel))
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o700)
	}
	if err == nil {
		err = os.WriteFile(dst, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestValidationReportsEverything proves bad input yields one error per
// problem, all joined, and writes nothing.
func TestValidationReportsEverything(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{
		Endpoint: "lb.demo.test",
		Nodes: []Node{
			{Name: "w1", Address: "w1.example"},
			{Name: "w1", Address: "10.0.0.2"},
		},
		KeyAlgorithm: "DSA-1024",
	}
	_, err := Init(context.Background(), dir, cfg)
	if err == nil {
		t.Fatal("Init accepted bad input")
	}
	for _, want := range []string{
		`endpoint: "lb.demo.test" is not HOST:PORT`,
		`nodes[0].address: "w1.example" is not an IP address`,
		`nodes[1].name: "w1" duplicates nodes[0].name`,
		`nodes: no control-plane node`,
		`keyAlgorithm: "DSA-1024"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad input wrote %d entries", len(entries))
	}
}

// TestCommitIsAllOrNothing proves a write that fails midway leaves no
// file and no temp file behind.
func TestCommitIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blocker"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := newStage()
	st.put("a.crt", []byte("a"), modeCert)
	st.put("blocker/b.key", []byte("b"), modeKey)
	st.put("new/sub/z.crt", []byte("z"), modeCert)
	if err := st.commit(context.Background(), dir, 1); err == nil {
		t.Fatal("commit through a file succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != "blocker" {
		t.Errorf("dir holds %v, want only blocker", entries)
	}
}

// TestNodeFiles proves the node layout: every listed source exists after
// Init, control planes get kubeadm's paths, workers only ca.crt and
// kubelet.conf.
func TestNodeFiles(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig(ECDSAP256)
	mustInit(t, dir, cfg)
	cp, err := NodeFiles(cfg, "cp1")
	if err != nil {
		t.Fatal(err)
	}
	dests := map[string]string{}
	for _, f := range cp {
		dests[f.Dest] = f.Source
		if _, err := os.Stat(filepath.Join(dir, f.Source)); err != nil {
			t.Errorf("%s: %v", f.Source, err)
		}
	}
	for dest, src := range map[string]string{
		"/etc/kubernetes/pki/etcd/server.crt":     "nodes/cp1/etcd/server.crt",
		"/etc/kubernetes/pki/apiserver.key":       "nodes/cp1/apiserver.key",
		"/etc/kubernetes/pki/etcd/ca.crt":         "etcd/ca.crt",
		"/etc/kubernetes/controller-manager.conf": "nodes/cp1/controller-manager.conf",
		"/etc/kubernetes/admin.conf":              "admin.conf",
	} {
		if dests[dest] != src {
			t.Errorf("%s comes from %q, want %q", dest, dests[dest], src)
		}
	}
	w, err := NodeFiles(cfg, "w1")
	if err != nil || len(w) != 2 || w[0].Dest != "/etc/kubernetes/kubelet.conf" || w[1].Dest != "/etc/kubernetes/pki/ca.crt" || w[0].Mode != 0o600 {
		t.Errorf("worker files %+v, %v", w, err)
	}
}
