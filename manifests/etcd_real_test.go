package manifests

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/slipway-dev/slipway/internal/testutil"
)

// TestEtcdFlagsRealEtcd starts Debian's etcd 3.4 with exactly the flags
// EtcdFlags returns for EtcdVersion 3.4.23 (paths under a temp dir through
// Config, ports moved to free ones, nothing else changed), then proves with
// etcdctl that it serves TLS with client-cert auth, and that the etcd pod's
// probe paths answer 200 on its metrics listener.
func TestEtcdFlagsRealEtcd(t *testing.T) {
	requireBinaries(t, "etcd", "etcdctl")
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	cfg := Config{
		KubernetesVersion: "1.33.0",
		EtcdVersion:       "3.4.23",
		Node:              Node{Name: "e2e", Address: "127.0.0.1"},
		PKIDir:            pkiDir,
		EtcdDataDir:       filepath.Join(dir, "data"),
	}
	ca := newTestCA(t, filepath.Join(pkiDir, "etcd"))
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	ca.issue(t, filepath.Join(pkiDir, "etcd"), "server", both...)
	ca.issue(t, filepath.Join(pkiDir, "etcd"), "peer", both...)
	ca.issue(t, filepath.Join(pkiDir, "etcd"), "healthcheck-client", x509.ExtKeyUsageClientAuth)

	flags, err := EtcdFlags(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := freePorts(t)
	remapped := make([]string, len(flags))
	for i, f := range flags {
		remapped[i] = p.remap(f)
		assertOnHost(t, remapped[i], isLocalhost)
	}
	startEtcd(t, remapped)

	ctl := etcdctl{endpoint: "https://127.0.0.1:" + p.client, pki: filepath.Join(pkiDir, "etcd")}
	testutil.Eventually(t, 30*time.Second, func() error {
		out, err := ctl.run(true, "endpoint", "health")
		if err != nil || !strings.Contains(out, "is healthy") {
			return fmt.Errorf("endpoint health: %v: %s", err, out)
		}
		return nil
	})
	if out, err := ctl.run(true, "put", "slipway", "ok"); err != nil {
		t.Fatalf("put with client cert: %v: %s", err, out)
	}
	if out, err := ctl.run(false, "get", "slipway"); err == nil {
		t.Errorf("get without client cert succeeded, want client-cert-auth to refuse: %s", out)
	}
	checkEtcdProbes(t, cfg, p.metrics)
}

// checkEtcdProbes GETs every probe path of the etcd pod on the real server.
func checkEtcdProbes(t *testing.T, cfg Config, metricsPort string) {
	pod, err := Etcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := pod.Spec.Containers[0]
	for kind, pr := range map[string]*struct{ path string }{
		"liveness": pathOf(c.LivenessProbe), "readiness": pathOf(c.ReadinessProbe), "startup": pathOf(c.StartupProbe),
	} {
		if pr == nil {
			continue
		}
		u := "http://127.0.0.1:" + metricsPort + pr.path
		resp, err := http.Get(u)
		if err != nil {
			t.Errorf("%s probe %s: %v", kind, u, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s probe %s: %s: %s", kind, u, resp.Status, body)
		}
	}
}

// ports are the free loopback ports etcd's well-known ones move to.
type ports struct{ client, loopbackClient, peer, metrics string }

func freePorts(t *testing.T) ports {
	t.Helper()
	var got []string
	for range 4 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		got = append(got, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return ports{client: got[0], loopbackClient: got[1], peer: got[2], metrics: got[3]}
}

// remap moves the ports of one flag. With the node address on loopback the
// two listen-client-urls would collide, so the loopback one gets its own.
func (p ports) remap(flag string) string {
	name, value, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
	if name == "listen-client-urls" {
		urls := strings.Split(value, ",")
		urls[0] = strings.Replace(urls[0], ":2379", ":"+p.loopbackClient, 1)
		value = strings.Join(urls, ",")
	}
	value = strings.NewReplacer(":2379", ":"+p.client, ":2380", ":"+p.peer, ":2381", ":"+p.metrics).Replace(value)
	return "--" + name + "=" + value
}

func isLocalhost(host string) bool { return host == "127.0.0.1" }

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// assertOnHost fails on a URL flag (the *-urls and initial-cluster) with a
// host that allowed refuses, so the server can only listen on loopback.
func assertOnHost(t *testing.T, flag string, allowed func(string) bool) {
	t.Helper()
	name, value, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
	if !strings.HasSuffix(name, "-urls") && name != "initial-cluster" {
		return
	}
	for _, item := range strings.Split(value, ",") {
		if j, k := strings.Index(item, "="), strings.Index(item, "://"); j >= 0 && j < k {
			item = item[j+1:] // member=URL
		}
		if u, err := url.Parse(item); err != nil || !allowed(u.Hostname()) {
			t.Fatalf("flag %s: %q is not on an allowed loopback host", flag, item)
		}
	}
}

// pathOf is an HTTP probe's path, nil without a probe.
func pathOf(p *corev1.Probe) *struct{ path string } {
	if p == nil || p.HTTPGet == nil {
		return nil
	}
	return &struct{ path string }{p.HTTPGet.Path}
}

// startEtcd runs etcd with flags until the test ends.
func startEtcd(t *testing.T, flags []string) {
	t.Helper()
	var log testutil.SyncBuffer
	cmd := exec.Command("etcd", flags...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting etcd: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("etcd %s\n%s", strings.Join(flags, " "), log.String())
		}
	})
	select {
	case <-exited:
		t.Fatalf("etcd exited at once (%v); flags rejected?\n%s", waitErr, log.String())
	case <-time.After(500 * time.Millisecond):
	}
}

// etcdctl runs the real etcdctl against one endpoint.
type etcdctl struct{ endpoint, pki string }

func (c etcdctl) run(withCert bool, args ...string) (string, error) {
	base := []string{"--endpoints=" + c.endpoint, "--cacert=" + filepath.Join(c.pki, "ca.crt"), "--dial-timeout=3s", "--command-timeout=5s"}
	if withCert {
		base = append(base, "--cert="+filepath.Join(c.pki, "healthcheck-client.crt"), "--key="+filepath.Join(c.pki, "healthcheck-client.key"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "etcdctl", append(base, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "ETCDCTL_API=3"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func requireBinaries(t *testing.T, bins ...string) {
	t.Helper()
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not installed (hack/deps.sh installs etcd-server etcd-client)", bin)
		}
	}
}
