package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/ignition"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/manifests"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/skew"
	"github.com/slipway-dev/slipway/pki"

	"sigs.k8s.io/yaml"
)

// TestSkewFromAPIServer: the version upgrade checks the skew policy
// against comes from a real kube-apiserver v1.33.0 (built from source by
// hack/build-kube.sh) running the generated static pod's flags over
// Debian's etcd, asked through the node's generated admin.conf. A worker
// payload of 1.34 is then refused as newer than the apiserver, 1.33 and
// 1.30 pass, 1.29 is too old. slipway validate cluster reads the same
// kube-apiserver and the nodes registered in it.
func TestSkewFromAPIServer(t *testing.T) {
	needTools(t, "etcd", "etcdctl")
	f := release(t)
	bin := filepath.Join(f.kube, "amd64", "bin", "kube-apiserver")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("kube-apiserver was not built (hack/build-kube.sh): %v", err)
	}
	c := etcdCluster(t, pki.ECDSAP256, "127.0.0.1")
	n := newEtcdNode(t, c, 0, etcdPorts{})
	pkiDir := initEtcdPKI(t, c)
	n.deploy(t, pkiDir)
	n.start(t)
	checkEtcdClients(t, n, "/before-apiserver")

	port := freeLocalPort(t)
	cfg := ignition.ManifestsConfig(c, n.node, false)
	cfg.PKIDir = n.pki()
	pod, err := manifests.APIServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{}
	for _, a := range pod.Spec.Containers[0].Command[1:] {
		switch {
		case strings.HasPrefix(a, "--etcd-servers="):
			a = "--etcd-servers=" + n.endpoint(t)
		case strings.HasPrefix(a, "--secure-port="):
			a = fmt.Sprintf("--secure-port=%d", port)
		}
		args = append(args, a)
	}
	args = append(args, "--bind-address=127.0.0.1")
	log := &testutil.SyncBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("kube-apiserver %s\n%s", strings.Join(args, " "), tail(log.String()))
		}
	})

	// The node's admin.conf names the control-plane endpoint; here the
	// apiserver listens on 127.0.0.1 (one of its certificate's SANs).
	b, err := os.ReadFile(filepath.Join(n.root, "etc", "kubernetes", "admin.conf"))
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "admin.conf")
	s := strings.ReplaceAll(string(b), "https://cp.e2e.internal:6443", fmt.Sprintf("https://127.0.0.1:%d", port))
	if err := os.WriteFile(kc, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	var got skew.Version
	testutil.Eventually(t, 90*time.Second, func() error {
		got, err = agent.APIServerVersion(context.Background(), kc)
		return err
	})
	if got.String() != "1.33.0" {
		t.Fatalf("kube-apiserver version = %s, want 1.33.0", got)
	}
	super := filepath.Join(t.TempDir(), "super-admin.conf")
	sb, err := os.ReadFile(filepath.Join(pkiDir, "super-admin.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(super, []byte(strings.ReplaceAll(string(sb), "https://cp.e2e.internal:6443", fmt.Sprintf("https://127.0.0.1:%d", port))), 0o600); err != nil {
		t.Fatal(err)
	}
	checkValidateCluster(t, kc, super)
	for to, want := range map[string]skew.Rule{"1.34.0": skew.RuleKubeletNotNewer, "1.33.0": "", "1.30.2": "", "1.29.9": skew.RuleKubeletMaxOlder} {
		u := skew.Upgrade{From: skewMust(t, "1.30.0"), To: skewMust(t, to), APIServers: []skew.Version{got}}
		var rule skew.Rule
		if e := skew.CheckUpgrade(u); e != nil {
			rule = e.Rule
		}
		if rule != want {
			t.Errorf("worker to %s against kube-apiserver %s: %q, want %q", to, got, rule, want)
		}
	}
}

func skewMust(t *testing.T, s string) skew.Version {
	t.Helper()
	v, err := skew.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func freeLocalPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// checkValidateCluster registers two nodes in the kube-apiserver (one
// Ready with kubelet v1.33.0, one with a kubelet 4 minors older), then
// runs slipway validate cluster with admin.conf: the first passes, the
// second fails naming the skew rule, and the command exits 1.
func checkValidateCluster(t *testing.T, kubeconfig, superAdmin string) {
	t.Helper()
	// What kubeadm init does: admin.conf's group gets cluster-admin, by
	// the break-glass super-admin identity (system:masters).
	client, server := adminClient(t, superAdmin)
	send(t, client, "POST", server+"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "application/json",
		`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"kubeadm:cluster-admins"},`+
			`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},`+
			`"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"kubeadm:cluster-admins"}]}`)
	now := time.Now().UTC().Format(time.RFC3339)
	for name, version := range map[string]string{"w1": "v1.33.0", "old1": "v1.29.0"} {
		send(t, client, "POST", server+"/api/v1/nodes", "application/json", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"`+name+`"}}`)
		send(t, client, "PATCH", server+"/api/v1/nodes/"+name+"/status", "application/merge-patch+json",
			`{"status":{"nodeInfo":{"kubeletVersion":"`+version+`"},"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","lastHeartbeatTime":"`+now+`","lastTransitionTime":"`+now+`"}]}}`)
	}
	testutil.Eventually(t, 60*time.Second, func() error {
		_, err := agent.KubeGet(context.Background(), kubeconfig, "/readyz")
		return err
	})
	r := slipway(t, nil, "validate", "cluster", "--kubeconfig", kubeconfig)
	t.Logf("slipway validate cluster:\n%s", r.stdout)
	if r.code != 1 {
		t.Errorf("validate cluster with a too-old kubelet: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"kube-apiserver: version", "1.33.0", "/readyz", "/readyz pass", "node w1 pass", "node old1 FAIL", "at most 3 minor versions older", "control plane: pods  skip"} {
		if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("validate cluster output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// adminClient is an HTTP client with the kubeconfig's client certificate.
func adminClient(t *testing.T, kubeconfig string) (*http.Client, string) {
	t.Helper()
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string
				CA     string `json:"certificate-authority-data"`
			}
		}
		Users []struct {
			User struct {
				Cert string `json:"client-certificate-data"`
				Key  string `json:"client-key-data"`
			}
		}
	}
	b, err := os.ReadFile(kubeconfig)
	if err == nil {
		err = yaml.Unmarshal(b, &kc)
	}
	if err != nil || len(kc.Clusters) == 0 || len(kc.Users) == 0 {
		t.Fatalf("reading %s: %v", kubeconfig, err)
	}
	dec := func(s string) []byte {
		out, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pair, err := tls.X509KeyPair(dec(kc.Users[0].User.Cert), dec(kc.Users[0].User.Key))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(dec(kc.Clusters[0].Cluster.CA))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}, kc.Clusters[0].Cluster.Server
}

func send(t *testing.T, c *http.Client, method, url, ctype, body string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %s\n%s", method, url, resp.Status, b)
	}
}
