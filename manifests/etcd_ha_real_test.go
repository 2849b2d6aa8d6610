package manifests

import (
	"crypto/x509"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEtcdHARealEtcd starts a three-member Debian etcd 3.4 cluster on
// 127.0.0.2-4 (loopback: no traffic leaves the machine), each member with
// the flags EtcdFlags gives it as one of three control-plane nodes. Only the
// shared loopback listeners (client 127.0.0.1:2379, metrics :2381) move to
// free ports; --initial-cluster and --initial-cluster-state are untouched. It
// proves those flags form a quorum: every member healthy, three started.
func TestEtcdHARealEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three etcd servers")
	}
	requireBinaries(t, "etcd", "etcdctl")
	members := []Node{{Name: "cp1", Address: "127.0.0.2"}, {Name: "cp2", Address: "127.0.0.3"}, {Name: "cp3", Address: "127.0.0.4"}}
	for _, m := range members {
		requireFreePorts(t, m.Address, EtcdClientPort, EtcdPeerPort)
	}
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	etcdPKI := filepath.Join(pkiDir, "etcd")
	ca := newTestCA(t, etcdPKI)
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	ca.issue(t, etcdPKI, "server", both...)
	ca.issue(t, etcdPKI, "peer", both...)
	ca.issue(t, etcdPKI, "healthcheck-client", x509.ExtKeyUsageClientAuth)

	var endpoints []string
	for _, m := range members {
		cfg := Config{KubernetesVersion: "1.33.0", EtcdVersion: "3.4.23", Node: m, ControlPlane: members,
			PKIDir: pkiDir, EtcdDataDir: filepath.Join(dir, m.Name)}
		flags, err := EtcdFlags(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := freePorts(t)
		p.client, p.peer = "2379", "2380"
		for i, f := range flags {
			flags[i] = p.remap(f)
			assertOnHost(t, flags[i], isLoopback)
		}
		startEtcd(t, flags)
		endpoints = append(endpoints, fmt.Sprintf("https://%s:%d", m.Address, EtcdClientPort))
	}
	ctl := etcdctl{endpoint: strings.Join(endpoints, ","), pki: etcdPKI}
	waitFor(t, 60*time.Second, func() error {
		out, err := ctl.run(true, "endpoint", "health")
		if err != nil || strings.Count(out, "is healthy") != len(members) {
			return fmt.Errorf("endpoint health: %v: %s", err, out)
		}
		return nil
	})
	out, err := ctl.run(true, "member", "list")
	if err != nil || strings.Count(out, ", started, ") != len(members) {
		t.Fatalf("member list: %v: %s", err, out)
	}
}

func requireBinaries(t *testing.T, bins ...string) {
	t.Helper()
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not installed (hack/deps.sh installs etcd-server etcd-client)", bin)
		}
	}
}

// requireFreePorts fails, saying which, when another process holds host's
// etcd ports.
func requireFreePorts(t *testing.T, host string, ports ...int) {
	t.Helper()
	for _, port := range ports {
		l, err := net.Listen("tcp", hostPort(host, port))
		if err != nil {
			t.Fatalf("%s is busy, the test needs it: %v", hostPort(host, port), err)
		}
		l.Close()
	}
}
