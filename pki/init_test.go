package pki

import (
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	ekuServer = "TLS Web Server Authentication"
	ekuClient = "TLS Web Client Authentication"
	ekuBoth   = "TLS Web Server Authentication, TLS Web Client Authentication"
)

// wantLeaf is what openssl must print for one leaf, written out literally
// from kubeadm's certificate list for node cp1 (10.0.0.11) of testConfig.
type wantLeaf struct {
	file, ca, subject, san, eku string
}

var wantLeaves = []wantLeaf{
	{"nodes/cp1/apiserver.crt", "ca.crt", "CN=kube-apiserver",
		"DNS:cp1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, " +
			"DNS:kubernetes.default.svc.cluster.local, DNS:lb.demo.test, IP Address:10.96.0.1, IP Address:10.0.0.11", ekuServer},
	{"nodes/cp1/apiserver-kubelet-client.crt", "ca.crt", "CN=kube-apiserver-kubelet-client,O=kubeadm:cluster-admins", "", ekuClient},
	{"nodes/cp1/front-proxy-client.crt", "front-proxy-ca.crt", "CN=front-proxy-client", "", ekuClient},
	{"nodes/cp1/apiserver-etcd-client.crt", "etcd/ca.crt", "CN=kube-apiserver-etcd-client", "", ekuClient},
	{"nodes/cp1/etcd/server.crt", "etcd/ca.crt", "CN=cp1",
		"DNS:cp1, DNS:localhost, IP Address:10.0.0.11, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", ekuBoth},
	{"nodes/cp1/etcd/peer.crt", "etcd/ca.crt", "CN=cp1",
		"DNS:cp1, DNS:localhost, IP Address:10.0.0.11, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", ekuBoth},
	{"nodes/cp1/etcd/healthcheck-client.crt", "etcd/ca.crt", "CN=kube-etcd-healthcheck-client", "", ekuClient},
}

// wantKubeconfig is what kubectl and openssl must read from a kubeconfig.
type wantKubeconfig struct {
	file, user, subject, server string
}

var wantKubeconfigs = []wantKubeconfig{
	{"admin.conf", "kubernetes-admin", "CN=kubernetes-admin,O=kubeadm:cluster-admins", "https://lb.demo.test:6443"},
	{"super-admin.conf", "kubernetes-super-admin", "CN=kubernetes-super-admin,O=system:masters", "https://lb.demo.test:6443"},
	{"nodes/cp1/controller-manager.conf", "system:kube-controller-manager", "CN=system:kube-controller-manager", "https://10.0.0.11:6443"},
	{"nodes/cp2/scheduler.conf", "system:kube-scheduler", "CN=system:kube-scheduler", "https://10.0.0.12:6443"},
	{"nodes/cp1/kubelet.conf", "system:node:cp1", "CN=system:node:cp1,O=system:nodes", "https://lb.demo.test:6443"},
	{"nodes/w1/kubelet.conf", "system:node:w1", "CN=system:node:w1,O=system:nodes", "https://lb.demo.test:6443"},
}

// TestInitMatchesKubeadmTable proves, with the real openssl, that every
// leaf chains to its CA for its purpose and carries kubeadm's subject, SANs,
// key usage and extended key usage; and that Go's verifier agrees.
func TestInitMatchesKubeadmTable(t *testing.T) {
	requireTools(t, "openssl")
	for _, alg := range []string{RSA2048, ECDSAP256} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			mustInit(t, dir, testConfig(alg))
			wantKU := "Digital Signature, Key Encipherment"
			if alg == ECDSAP256 {
				wantKU = "Digital Signature"
			}
			for _, w := range wantLeaves {
				t.Run(w.file, func(t *testing.T) { checkLeaf(t, dir, w, wantKU) })
			}
			for file, cn := range map[string]string{"ca.crt": "kubernetes", "front-proxy-ca.crt": "front-proxy-ca", "etcd/ca.crt": "etcd-ca"} {
				out := run(t, "openssl", "x509", "-in", filepath.Join(dir, file), "-noout", "-subject", "-nameopt", "RFC2253", "-ext", "basicConstraints,keyUsage")
				for _, want := range []string{"subject=CN=" + cn + "\n", "CA:TRUE", wantKU + ", Certificate Sign"} {
					if !strings.Contains(out, want) {
						t.Errorf("%s lacks %q:\n%s", file, want, out)
					}
				}
			}
		})
	}
}

func checkLeaf(t *testing.T, dir string, w wantLeaf, wantKU string) {
	file, ca := filepath.Join(dir, w.file), filepath.Join(dir, w.ca)
	purposes := map[string][]string{ekuServer: {"sslserver"}, ekuClient: {"sslclient"}, ekuBoth: {"sslserver", "sslclient"}}
	for _, p := range purposes[w.eku] {
		run(t, "openssl", "verify", "-CAfile", ca, "-purpose", p, file)
	}
	subject, san, ku, eku := opensslExt(t, file)
	if subject != w.subject || san != w.san || ku != wantKU || eku != w.eku {
		t.Errorf("openssl reads subject=%q san=%q ku=%q eku=%q\nwant    subject=%q san=%q ku=%q eku=%q",
			subject, san, ku, eku, w.subject, w.san, wantKU, w.eku)
	}
	key := strings.TrimSuffix(file, ".crt") + ".key"
	if a, b := run(t, "openssl", "x509", "-in", file, "-noout", "-pubkey"), run(t, "openssl", "pkey", "-in", key, "-pubout"); a != b {
		t.Errorf("%s does not hold the key of %s", key, w.file)
	}
	cert, pool := readCert(t, dir, w.file), x509.NewCertPool()
	pool.AddCert(readCert(t, dir, w.ca))
	usages := map[string][]x509.ExtKeyUsage{ekuServer: usageServer, ekuClient: usageClient, ekuBoth: usageBoth}
	for _, u := range usages[w.eku] {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{u}}); err != nil {
			t.Errorf("x509.Verify(%v): %v", u, err)
		}
	}
	other := x509.ExtKeyUsageServerAuth
	if w.eku == ekuServer {
		other = x509.ExtKeyUsageClientAuth
	}
	if w.eku != ekuBoth {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{other}}); err == nil {
			t.Errorf("x509.Verify accepts %s for usage %v it must not have", w.file, other)
		}
	}
}

// TestKubeconfigsReadByKubectl proves the real kubectl reads every
// kubeconfig: current context, server, the CA bundle and an embedded client
// certificate that openssl verifies against ca.crt with kubeadm's subject.
func TestKubeconfigsReadByKubectl(t *testing.T) {
	requireTools(t, "openssl", "kubectl")
	dir := t.TempDir()
	mustInit(t, dir, testConfig(ECDSAP256))
	caPEM := string(readFile(t, dir, "ca.crt"))
	for _, w := range wantKubeconfigs {
		t.Run(w.file, func(t *testing.T) {
			kc := filepath.Join(dir, w.file)
			if got := strings.TrimSpace(run(t, "kubectl", "--kubeconfig", kc, "config", "current-context")); got != w.user+"@demo" {
				t.Errorf("current-context = %q, want %q", got, w.user+"@demo")
			}
			if got := kubectlField(t, kc, "{.clusters[0].cluster.server}"); got != w.server {
				t.Errorf("server = %q, want %q", got, w.server)
			}
			if got := kubectlField(t, kc, "{.users[0].name}"); got != w.user {
				t.Errorf("user = %q, want %q", got, w.user)
			}
			if got := decode(t, kubectlField(t, kc, "{.clusters[0].cluster.certificate-authority-data}")); got != caPEM {
				t.Errorf("certificate-authority-data is not ca.crt")
			}
			certFile := filepath.Join(t.TempDir(), "client.crt")
			crt := decode(t, kubectlField(t, kc, "{.users[0].user.client-certificate-data}"))
			if err := os.WriteFile(certFile, []byte(crt), 0o644); err != nil {
				t.Fatal(err)
			}
			run(t, "openssl", "verify", "-CAfile", filepath.Join(dir, "ca.crt"), "-purpose", "sslclient", certFile)
			if subject, _, _, eku := opensslExt(t, certFile); subject != w.subject || eku != ekuClient {
				t.Errorf("client cert subject=%q eku=%q, want %q %q", subject, eku, w.subject, ekuClient)
			}
		})
	}
}

func decode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decoding base64: %v", err)
	}
	return string(b)
}

// TestInitLayoutAndModes proves which files exist where and that keys and
// kubeconfigs are 0600, certificates 0644, and key PEM types are kubeadm's.
func TestInitLayoutAndModes(t *testing.T) {
	for _, alg := range []string{RSA2048, ECDSAP256} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			res := mustInit(t, dir, testConfig(alg))
			wantHeader := map[string]string{RSA2048: "-----BEGIN RSA PRIVATE KEY-----", ECDSAP256: "-----BEGIN EC PRIVATE KEY-----"}[alg]
			files := snapshot(t, dir)
			if len(files) != len(res.Written) {
				t.Errorf("dir holds %d files, Result.Written %d", len(files), len(res.Written))
			}
			for _, rel := range []string{"ca.key", "front-proxy-ca.key", "etcd/ca.key", "sa.key", "sa.pub",
				"admin.conf", "super-admin.conf", "nodes/cp2/etcd/peer.key", "nodes/w1/kubelet.conf"} {
				if _, ok := files[rel]; !ok {
					t.Errorf("%s missing", rel)
				}
			}
			if _, ok := files["nodes/w1/apiserver.crt"]; ok {
				t.Errorf("a worker got an apiserver certificate")
			}
			for rel, data := range files {
				checkMode(t, dir, rel, data, wantHeader)
			}
		})
	}
}

func checkMode(t *testing.T, dir, rel, data, wantHeader string) {
	fi, err := os.Stat(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	want := os.FileMode(0o644)
	if strings.HasSuffix(rel, ".key") || strings.HasSuffix(rel, ".conf") {
		want = 0o600
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s mode %v, want %v", rel, fi.Mode().Perm(), want)
	}
	if strings.HasSuffix(rel, ".key") && !strings.HasPrefix(data, wantHeader) {
		t.Errorf("%s does not start with %s", rel, wantHeader)
	}
}
