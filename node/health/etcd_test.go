package health

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/testutil"
)

// freePort returns a port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// etcdTLS are the files of an etcd serving TLS and asking for client
// certificates.
type etcdTLS struct{ ca, cert, key, clientCert, clientKey string }

// startEtcd runs Debian's etcd with its client URL on addr (127.0.0.1)
// and a peer URL on a free port, in its own process group until the test
// ends. With tls set it serves https and requires client certificates.
func startEtcd(t *testing.T, addr string, tls *etcdTLS) {
	t.Helper()
	if _, err := exec.LookPath("etcd"); err != nil {
		t.Fatal("etcd is missing: apt-get install etcd-server")
	}
	scheme := "http"
	if tls != nil {
		scheme = "https"
	}
	client, peer := scheme+"://"+addr, "http://"+freePort(t)
	args := []string{"--name=health", "--data-dir=" + filepath.Join(t.TempDir(), "etcd"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer, "--initial-cluster=health=" + peer}
	if tls != nil {
		args = append(args, "--cert-file="+tls.cert, "--key-file="+tls.key, "--trusted-ca-file="+tls.ca, "--client-cert-auth")
	}
	log := &testutil.SyncBuffer{}
	cmd := exec.Command("etcd", args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + t.TempDir()}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting etcd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("etcd %s:\n%s", strings.Join(args, " "), log.String())
		}
	})
}

// newEtcdTLS writes a CA, a server certificate for 127.0.0.1 and a
// client certificate into a temp dir.
func newEtcdTLS(t *testing.T) *etcdTLS {
	t.Helper()
	dir := t.TempDir()
	caKey, caCert := newCert(t, "health-test-ca", nil, nil, nil)
	// etcd's gateway connects to etcd with the server certificate, as
	// kubeadm's etcd/server.crt allows.
	_, srv := newCert(t, "etcd", caCert, caKey, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
	_, cli := newCert(t, "health-client", caCert, caKey, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	out := &etcdTLS{}
	for _, f := range []struct {
		dst  *string
		name string
		pems []byte
	}{
		{&out.ca, "ca.crt", caCert.pem},
		{&out.cert, "server.crt", srv.pem}, {&out.key, "server.key", srv.keyPEM},
		{&out.clientCert, "client.crt", cli.pem}, {&out.clientKey, "client.key", cli.keyPEM},
	} {
		*f.dst = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.dst, f.pems, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// testCert is a certificate with its PEM encodings.
type testCert struct {
	cert        *x509.Certificate
	pem, keyPEM []byte
}

// newCert makes a CA (parent nil) or a leaf certificate signed by parent.
func newCert(t *testing.T, cn string, parent *testCert, parentKey *ecdsa.PrivateKey, usage []x509.ExtKeyUsage) (*ecdsa.PrivateKey, *testCert) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		signer, signerKey = parent.cert, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, &testCert{cert: cert,
		pem:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})}
}
