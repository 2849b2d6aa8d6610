package pki

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckReportsExpiry proves Check lists every certificate and every
// kubeconfig's client certificate with the time remaining, CAs flagged,
// and Expiring picks the ones below a threshold.
func TestCheckReportsExpiry(t *testing.T) {
	dir := t.TempDir()
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mustInit(t, dir, testConfig(ECDSAP256), WithClock(func() time.Time { return issued }))
	st, err := Check(context.Background(), dir, issued.Add(300*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]CertStatus{}
	for _, s := range st {
		byPath[s.Path] = s
	}
	// 3 CAs + 7 leaves x 2 control planes + 2 admin + 2 x 2 (cm, sched) + 3 kubelet.
	if len(st) != 3+14+2+4+3 {
		t.Errorf("Check found %d certificates, want 26", len(st))
	}
	ca, admin, kubelet := byPath["ca.crt"], byPath["admin.conf"], byPath["nodes/w1/kubelet.conf"]
	if !ca.CA || ca.Subject != "kubernetes" || ca.Remaining != (10*365-300)*24*time.Hour {
		t.Errorf("ca.crt status %+v", ca)
	}
	if !admin.Kubeconfig || admin.CA || admin.Issuer != "kubernetes" || admin.Remaining != 65*24*time.Hour {
		t.Errorf("admin.conf status %+v", admin)
	}
	if kubelet.Subject != "system:node:w1" || kubelet.Organization[0] != "system:nodes" {
		t.Errorf("kubelet.conf status %+v", kubelet)
	}
	if n := len(Expiring(st, 90*24*time.Hour)); n != len(st)-3 {
		t.Errorf("Expiring(90d) = %d, want every leaf (%d)", n, len(st)-3)
	}
}

// TestRenewReplacesLeavesNotCA proves Renew issues new serials and keys
// for the named leaves only, keeps the CA bytes, and the new leaves verify.
func TestRenewReplacesLeavesNotCA(t *testing.T) {
	requireTools(t, "openssl")
	dir := t.TempDir()
	cfg := testConfig(ECDSAP256)
	mustInit(t, dir, cfg)
	before := snapshot(t, dir)
	res, err := Renew(context.Background(), dir, cfg, []string{"apiserver", "admin.conf"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"admin.conf": true, "nodes/cp1/apiserver.crt": true, "nodes/cp1/apiserver.key": true,
		"nodes/cp2/apiserver.crt": true, "nodes/cp2/apiserver.key": true}
	if len(res.Written) != len(want) {
		t.Errorf("Written %v, want %v", res.Written, want)
	}
	after := snapshot(t, dir)
	for rel := range before {
		if changed := before[rel] != after[rel]; changed != want[rel] {
			t.Errorf("%s changed=%v, want %v", rel, changed, want[rel])
		}
	}
	if readCertString(t, before["nodes/cp1/apiserver.crt"]).SerialNumber.Cmp(readCert(t, dir, "nodes/cp1/apiserver.crt").SerialNumber) == 0 {
		t.Errorf("serial unchanged")
	}
	run(t, "openssl", "verify", "-CAfile", filepath.Join(dir, "ca.crt"), filepath.Join(dir, "nodes/cp1/apiserver.crt"))
	if _, err := Renew(context.Background(), dir, cfg, []string{"no-such-cert"}); err == nil {
		t.Errorf("Renew accepted an unknown name")
	}
	if _, err := Renew(context.Background(), dir, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, dir); after["ca.crt"] != before["ca.crt"] || after["sa.key"] != before["sa.key"] {
		t.Errorf("Renew(all) touched the CA or sa.key")
	}
}

func readCertString(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	certs, err := parseCerts([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

// TestRotateInPhases proves the three-phase CA rotation with openssl: after
// phase 1 an old leaf verifies against the bundle; after phase 2 the leaves
// verify against the new CA alone; after phase 3 an old leaf is refused.
func TestRotateInPhases(t *testing.T) {
	requireTools(t, "openssl", "kubectl")
	ctx, dir, cfg := context.Background(), t.TempDir(), testConfig(ECDSAP256)
	mustInit(t, dir, cfg)
	oldCA := readFile(t, dir, "ca.crt")
	oldLeaf := filepath.Join(t.TempDir(), "old-apiserver.crt")
	copyFile(t, filepath.Join(dir, "nodes/cp1/apiserver.crt"), oldLeaf)
	if _, err := Rotate(ctx, dir, cfg, 2); err == nil {
		t.Fatal("phase 2 before phase 1 succeeded")
	}
	mustRotate(t, dir, cfg, 1)
	bundle := filepath.Join(dir, "ca.crt")
	if certs, _ := parseCerts(readFile(t, dir, "ca.crt")); len(certs) != 2 || string(readFile(t, dir, "ca.old.crt")) != string(oldCA) {
		t.Fatalf("after phase 1 ca.crt holds %d certs / ca.old.crt differs", len(certs))
	}
	run(t, "openssl", "verify", "-CAfile", bundle, oldLeaf)
	if got := decode(t, kubectlField(t, filepath.Join(dir, "admin.conf"), "{.clusters[0].cluster.certificate-authority-data}")); got != string(readFile(t, dir, "ca.crt")) {
		t.Errorf("admin.conf does not trust the bundle after phase 1")
	}
	mustInit(t, dir, cfg) // old leaves still valid mid-rotation
	mustRotate(t, dir, cfg, 2)
	newCA := filepath.Join(t.TempDir(), "new-ca.crt")
	certs, _ := parseCerts(readFile(t, dir, "ca.crt"))
	if err := os.WriteFile(newCA, encodeCerts(certs[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "openssl", "verify", "-CAfile", newCA, filepath.Join(dir, "nodes/cp1/apiserver.crt"))
	adminCrt := filepath.Join(t.TempDir(), "admin.crt")
	os.WriteFile(adminCrt, []byte(decode(t, kubectlField(t, filepath.Join(dir, "admin.conf"), "{.users[0].user.client-certificate-data}"))), 0o644)
	run(t, "openssl", "verify", "-CAfile", newCA, adminCrt)
	etcdNew, _ := parseCerts(readFile(t, dir, "etcd/ca.crt"))
	etcdFile := filepath.Join(t.TempDir(), "etcd-new.crt")
	os.WriteFile(etcdFile, encodeCerts(etcdNew[0]), 0o644)
	run(t, "openssl", "verify", "-CAfile", etcdFile, filepath.Join(dir, "nodes/cp2/etcd/peer.crt"))
	mustRotate(t, dir, cfg, 3)
	if out, err := runErr("openssl", "verify", "-CAfile", bundle, oldLeaf); err == nil {
		t.Errorf("old leaf still verifies after phase 3: %s", out)
	}
	run(t, "openssl", "verify", "-CAfile", bundle, filepath.Join(dir, "nodes/cp1/apiserver.crt"))
	for _, rel := range []string{"ca.old.crt", "ca.old.key", "etcd/ca.old.key", RotationFile} {
		if _, err := os.Stat(filepath.Join(dir, rel)); !os.IsNotExist(err) {
			t.Errorf("%s left after phase 3", rel)
		}
	}
	if res := mustInit(t, dir, cfg); len(res.Written) != 0 {
		t.Errorf("Init after rotation wrote %v", res.Written)
	}
}

func mustRotate(t *testing.T, dir string, cfg Config, phase int) {
	t.Helper()
	if _, err := Rotate(context.Background(), dir, cfg, phase); err != nil {
		t.Fatalf("Rotate phase %d: %v", phase, err)
	}
}

// TestInitRefusesExpiredLeaf proves an expired leaf is reported (with the
// renew hint), not silently replaced, and Renew brings it back.
func TestInitRefusesExpiredLeaf(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig(ECDSAP256)
	now := time.Now()
	mustInit(t, dir, cfg)
	later := WithClock(func() time.Time { return now.Add(400 * 24 * time.Hour) })
	_, err := Init(context.Background(), dir, cfg, later)
	if err == nil || !strings.Contains(err.Error(), "nodes/w1/kubelet.conf: not valid for ca") || !strings.Contains(err.Error(), "renew it") {
		t.Fatalf("Init 400 days later: %v", err)
	}
	if _, err := Renew(context.Background(), dir, cfg, nil, later); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(context.Background(), dir, cfg, later); err != nil {
		t.Fatalf("Init after Renew: %v", err)
	}
}
