package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/ignition"
	"github.com/slipway-dev/slipway/manifests"
	"github.com/slipway-dev/slipway/pki"
	"github.com/slipway-dev/slipway/spec"

	"github.com/slipway-dev/slipway/internal/testutil"
)

// etcdCluster parses a Cluster document with one control-plane node per
// address (cp1, cp2, ...), stacked etcd 3.4.23 and a DNS endpoint.
func etcdCluster(t *testing.T, keyAlgorithm string, addrs ...string) *spec.Cluster {
	t.Helper()
	var doc strings.Builder
	fmt.Fprintf(&doc, `apiVersion: slipway.dev/v1alpha1
kind: Cluster
metadata:
  name: e2e
spec:
  kubernetesVersion: 1.33.0
  controlPlaneEndpoint: cp.e2e.internal:6443
  pki:
    keyAlgorithm: %s
  etcd:
    version: 3.4.23
  nodes:
`, keyAlgorithm)
	for i, a := range addrs {
		fmt.Fprintf(&doc, "    - {name: cp%d, role: control-plane, address: %s}\n", i+1, a)
	}
	c, report, err := spec.ParseCluster("etcd-e2e.yaml", []byte(doc.String()))
	if err != nil {
		t.Fatalf("parsing the Cluster document: %v\n%s", err, doc.String())
	}
	if w := report.Warnings(); len(w) > 0 {
		t.Logf("Cluster document warnings:\n%s", report)
	}
	return c
}

// etcdNode is one control-plane node rooted in a temp dir: its files lie
// where they would on the machine (root/etc/kubernetes/pki/...), and
// etcd's data in root/var/lib/etcd.
type etcdNode struct {
	c     *spec.Cluster
	node  spec.Node
	root  string
	ports etcdPorts
	log   *testutil.SyncBuffer
	stop  func()
}

func newEtcdNode(t *testing.T, c *spec.Cluster, i int, ports etcdPorts) *etcdNode {
	return &etcdNode{c: c, node: c.ControlPlaneNodes()[i], root: t.TempDir(), ports: ports}
}

// pki is the node's /etc/kubernetes/pki.
func (n *etcdNode) pki() string { return filepath.Join(n.root, "etc", "kubernetes", "pki") }

// deploy replaces the node's /etc/kubernetes with the files pki.NodeFiles
// lists for it, as a rollout of the PKI dir would; etcd's data stays.
func (n *etcdNode) deploy(t *testing.T, pkiDir string) {
	t.Helper()
	files, err := pki.NodeFiles(pki.FromCluster(n.c), n.node.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(n.root, "etc")); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(pkiDir, filepath.FromSlash(f.Source)))
		if os.IsNotExist(err) && f.Optional {
			continue
		}
		if err != nil {
			t.Fatalf("deploying %s to node %s: %v", f.Source, n.node.Name, err)
		}
		dst := filepath.Join(n.root, filepath.FromSlash(f.Dest))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
}

// command is the etcd static pod's command for the node, with its host
// paths under the node's root and its ports moved by n.ports.
func (n *etcdNode) command(t *testing.T) []string {
	t.Helper()
	cfg := ignition.ManifestsConfig(n.c, n.node, false)
	cfg.PKIDir = n.pki()
	cfg.EtcdDataDir = filepath.Join(n.root, "var", "lib", "etcd")
	pod, err := manifests.Etcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := pod.Spec.Containers[0].Command
	flags, err := manifests.EtcdFlags(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmd) == 0 || cmd[0] != "etcd" || strings.Join(cmd[1:], " ") != strings.Join(flags, " ") {
		t.Fatalf("etcd pod command %q is not etcd with EtcdFlags %q", cmd, flags)
	}
	out := []string{"etcd"}
	for _, f := range cmd[1:] {
		out = append(out, n.ports.remap(t, f))
	}
	return out
}

// start runs the node's etcd in its own process group until n.stop or
// the end of the test.
func (n *etcdNode) start(t *testing.T) {
	t.Helper()
	args := n.command(t)
	n.log = &testutil.SyncBuffer{}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + n.root}
	cmd.Stdout, cmd.Stderr = n.log, n.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting etcd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
			}
		})
	}
	log := n.log
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("%s: %s\n%s", n.node.Name, strings.Join(args, " "), tail(log.String()))
		}
	})
	select {
	case <-exited:
		t.Fatalf("etcd on %s exited at once: flags or files rejected?\n%s\n%s", n.node.Name, strings.Join(args, " "), log.String())
	case <-time.After(300 * time.Millisecond):
	}
}

// endpoint is the node's client URL after the port move.
func (n *etcdNode) endpoint(t *testing.T) string {
	return "https://" + n.ports.moved(t, net.JoinHostPort(n.node.Address, strconv.Itoa(manifests.EtcdClientPort)))
}

// caFile is the node's etcd/ca.crt.
func (n *etcdNode) caFile() string { return filepath.Join(n.pki(), "etcd", "ca.crt") }

// client is an etcdctl identity: the node's etcd/ca.crt to verify the
// server, and a certificate pair relative to the node's pki dir.
func (n *etcdNode) client(pair string) etcdClient {
	return etcdClient{
		cacert: n.caFile(),
		cert:   filepath.Join(n.pki(), pair+".crt"),
		key:    filepath.Join(n.pki(), pair+".key"),
	}
}

// etcdClient is what etcdctl presents and trusts.
type etcdClient struct{ cacert, cert, key string }

// ctl runs the real etcdctl (API v3) against endpoints.
func (c etcdClient) ctl(endpoints []string, args ...string) (string, error) {
	base := []string{"--endpoints=" + strings.Join(endpoints, ","), "--cacert=" + c.cacert,
		"--cert=" + c.cert, "--key=" + c.key, "--dial-timeout=3s", "--command-timeout=5s"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "etcdctl", append(base, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "ETCDCTL_API=3"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustCtl fails the test unless etcdctl succeeds.
func (c etcdClient) mustCtl(t *testing.T, endpoints []string, args ...string) string {
	t.Helper()
	out, err := c.ctl(endpoints, args...)
	if err != nil {
		t.Fatalf("etcdctl %s (cert %s): %v\n%s", strings.Join(args, " "), c.cert, err, out)
	}
	return out
}

// etcdPorts moves etcd's well-known ports to free ones, nothing else:
// each host:port of a URL flag gets a free port on the same host, the
// same for every flag (and member) sharing the map. Hosts must be
// 127.0.0.x, so every listener stays on loopback.
type etcdPorts map[string]string

// clone copies p: ports moved later in the copy (a member's own
// 127.0.0.1 listeners) stay out of p.
func (p etcdPorts) clone() etcdPorts {
	out := etcdPorts{}
	for k, v := range p {
		out[k] = v
	}
	return out
}

// moved is the free host:port standing for hostPort.
func (p etcdPorts) moved(t *testing.T, hostPort string) string {
	t.Helper()
	if to, ok := p[hostPort]; ok {
		return to
	}
	host, _, err := net.SplitHostPort(hostPort)
	if ip := net.ParseIP(host); err != nil || ip == nil || ip.To4() == nil || ip.To4()[0] != 127 {
		t.Fatalf("%s is not on 127.0.0.x: the test only listens on loopback", hostPort)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("finding a free port on %s: %v", host, err)
	}
	defer l.Close()
	p[hostPort] = l.Addr().String()
	return p[hostPort]
}

// remap moves the ports of a URL flag (*-urls, initial-cluster); other
// flags come back unchanged.
func (p etcdPorts) remap(t *testing.T, flag string) string {
	t.Helper()
	name, value, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
	if !strings.HasSuffix(name, "-urls") && name != "initial-cluster" {
		return flag
	}
	items := strings.Split(value, ",")
	for i, item := range items {
		member, raw, named := strings.Cut(item, "=")
		if !named {
			member, raw = "", item
		}
		u, err := url.Parse(raw)
		if err != nil || u.Port() == "" {
			t.Fatalf("flag %s: %q is not a URL with a port", flag, raw)
		}
		u.Host = p.moved(t, u.Host)
		items[i] = u.String()
		if named {
			items[i] = member + "=" + items[i]
		}
	}
	return "--" + name + "=" + strings.Join(items, ",")
}
