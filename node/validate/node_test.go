package validate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/health"
)

// liveNode is a node on temp dirs (the ESP a directory, the slots files,
// its root another directory) booted from slot a, blessed, with a health
// result recorded.
func liveNode(t *testing.T) *agent.Node {
	t.Helper()
	dir := t.TempDir()
	slots := map[string]string{}
	for _, s := range []string{"a", "b"} {
		slots[s] = filepath.Join(dir, "slot-"+s)
		if err := os.WriteFile(slots[s], make([]byte, 1<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dev := &ab.Live{ESP: filepath.Join(dir, "esp"), Slots: slots}
	e := boot.SlotEntry("a", "1.0.0", "")
	for name, content := range map[string]string{boot.LoaderPath: string(boot.DefaultLoader().Marshal()), e.Path(): string(e.Marshal()),
		boot.KernelPath("a"): "k", boot.InitrdPath("a"): "i"} {
		if err := dev.WriteFile(name, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "root")
	if err := health.Record(filepath.Join(root, agent.StateDir, "health"), health.Result{Passed: true, Version: "1.0.0", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return &agent.Node{Dev: dev, Booted: "a", Arch: "amd64", Live: true, Root: root}
}

func writeCert(t *testing.T, path string, notAfter time.Time) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

func results(r *Report) map[string]string {
	out := map[string]string{}
	for _, c := range r.Checks {
		out[c.Name] = c.Result + " " + c.Detail
	}
	return out
}

func TestNode(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	n := liveNode(t)
	pki := filepath.Join(n.Root, agent.PKIDir)
	writeCert(t, filepath.Join(pki, "ca.crt"), now.Add(10*365*24*time.Hour))
	writeCert(t, filepath.Join(pki, "apiserver.crt"), now.Add(365*24*time.Hour))
	man := filepath.Join(n.Root, agent.ManifestsDir)
	os.MkdirAll(man, 0o755)
	os.WriteFile(filepath.Join(man, "etcd.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\n"), 0o600)
	r := Node(n, now)
	if !r.OK() {
		t.Fatalf("a healthy node fails:\n%v", results(r))
	}
	got := results(r)
	for name, want := range map[string]string{"slots: a": "pass good 1.0.0, booted, default", "slots: b": "pass empty", "manifests": "pass etcd", "health gate": "pass passed on 1.0.0"} {
		if !strings.HasPrefix(got[name], want) {
			t.Errorf("%s: %q, want %q...", name, got[name], want)
		}
	}

	// A certificate 10 days from expiry, a manifest that is not a Pod, a
	// failed health gate, an entry whose kernel is gone: each fails.
	writeCert(t, filepath.Join(pki, "etcd", "server.crt"), now.Add(10*24*time.Hour))
	os.WriteFile(filepath.Join(man, "junk.yaml"), []byte("kind: ConfigMap\n"), 0o600)
	health.Record(filepath.Join(n.Root, agent.StateDir, "health"), health.Result{Version: "1.0.0", Time: now,
		Checks: []health.CheckResult{{Kind: "unit", Name: "kubelet.service", Detail: "failed"}}})
	b := boot.SlotEntry("b", "2.0.0", "")
	n.Dev.WriteFile(b.Path(), strings.NewReader(string(b.Marshal())))
	r = Node(n, now)
	got = results(r)
	for name, want := range map[string]string{
		"pki: expiry": "FAIL etcd/server.crt expires 2026-12-04", "manifests": "FAIL junk.yaml: not a named Pod",
		"health gate": "FAIL failed on 1.0.0: unit kubelet.service: failed", "slots: b": "FAIL entry slipway-b.conf names a kernel or initrd that is missing",
	} {
		if !strings.HasPrefix(got[name], want) {
			t.Errorf("%s: %q, want %q...", name, got[name], want)
		}
	}
	if r.OK() {
		t.Error("the report passes")
	}

	n.Live = false
	if got := results(Node(n, now)); !strings.HasPrefix(got["pki: expiry"], "skip offline") {
		t.Errorf("offline pki check: %q", got["pki: expiry"])
	}
}
