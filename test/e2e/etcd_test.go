package e2e

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/manifests"
	"github.com/slipway-dev/slipway/pki"
	"github.com/slipway-dev/slipway/spec"

	"github.com/slipway-dev/slipway/internal/testutil"
)

// TestEtcdServesGeneratedPKI runs Debian's etcd 3.4 as the generated
// static pod of a one-node cluster at 127.0.0.1 runs it: the pod's exact
// command (ports moved to free ones) over the node's files as
// pki.NodeFiles places them. The API server's etcd client certificate
// writes and reads a key, the healthcheck client reads endpoint health,
// and a client certificate from another etcd CA is refused.
func TestEtcdServesGeneratedPKI(t *testing.T) {
	needTools(t, "etcd", "etcdctl")
	t.Parallel()
	c := etcdCluster(t, pki.RSA2048, "127.0.0.1")
	dir := initEtcdPKI(t, c)
	n := newEtcdNode(t, c, 0, etcdPorts{})
	n.deploy(t, dir)
	n.start(t)
	checkEtcdClients(t, n, "generated")

	foreign := initEtcdPKI(t, c)
	stranger := etcdClient{cacert: n.caFile(),
		cert: filepath.Join(foreign, "nodes", "cp1", "apiserver-etcd-client.crt"),
		key:  filepath.Join(foreign, "nodes", "cp1", "apiserver-etcd-client.key")}
	checkEtcdRefuses(t, n, stranger)
}

// TestEtcdCARotation restarts the node's etcd after each pki.Rotate phase
// with the files the node then gets, as a rollout would: the API server's
// and the healthcheck client's certificates keep working through the
// mixed old/new sets (phase 1: old leaves, bundle new+old; phase 2: new
// leaves, same bundle; phase 3: new CA alone), data written before the
// rotation survives, a client certificate from the old CA keeps working
// while the bundle trusts it and is refused after phase 3.
func TestEtcdCARotation(t *testing.T) {
	needTools(t, "etcd", "etcdctl")
	t.Parallel()
	c := etcdCluster(t, pki.ECDSAP256, "127.0.0.1")
	dir := initEtcdPKI(t, c)
	n := newEtcdNode(t, c, 0, etcdPorts{})
	n.deploy(t, dir)
	n.start(t)
	checkEtcdClients(t, n, "before")
	oldCA := readCerts(t, n.caFile())
	if len(oldCA) != 1 {
		t.Fatalf("etcd/ca.crt holds %d certificates before rotation, want 1", len(oldCA))
	}
	old := saveClient(t, n, "apiserver-etcd-client")

	for phase := 1; phase <= 3; phase++ {
		if _, err := pki.Rotate(context.Background(), dir, pki.FromCluster(c), phase); err != nil {
			t.Fatalf("rotation phase %d: %v", phase, err)
		}
		n.stop()
		n.deploy(t, dir)
		n.start(t)
		checkRotationPhase(t, n, phase, oldCA[0])
		checkEtcdClients(t, n, fmt.Sprintf("phase%d", phase))
		client := n.client("apiserver-etcd-client")
		if got := strings.TrimSpace(client.mustCtl(t, n.endpoints(t), "get", "--print-value-only", "before")); got != "before" {
			t.Errorf("phase %d: key written before the rotation reads %q", phase, got)
		}
		if phase < 3 {
			old.mustCtl(t, n.endpoints(t), "get", "before")
		}
	}
	checkEtcdRefuses(t, n, old)
}

// TestEtcdHAQuorum starts the generated etcd pods of an HA Cluster
// document (three control-plane nodes on 127.0.0.2-4, a DNS endpoint)
// with each node's own files: their peer certificates form a quorum,
// every member is healthy and started, and a key put through one member
// is read through another with that node's client certificate.
func TestEtcdHAQuorum(t *testing.T) {
	needTools(t, "etcd", "etcdctl")
	t.Parallel()
	c := etcdCluster(t, pki.ECDSAP256, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	dir := initEtcdPKI(t, c)
	shared := etcdPorts{}
	for _, cp := range c.ControlPlaneNodes() {
		for _, port := range []int{manifests.EtcdClientPort, manifests.EtcdPeerPort} {
			shared.moved(t, fmt.Sprintf("%s:%d", cp.Address, port))
		}
	}
	var nodes []*etcdNode
	var all []string
	for i := range c.ControlPlaneNodes() {
		n := newEtcdNode(t, c, i, shared.clone())
		n.deploy(t, dir)
		n.start(t)
		nodes = append(nodes, n)
		all = append(all, n.endpoint(t))
	}
	health := nodes[0].client("etcd/healthcheck-client")
	testutil.Eventually(t, 30*time.Second, func() error {
		out, err := health.ctl(all, "endpoint", "health")
		if err != nil || strings.Count(out, "is healthy") != len(all) {
			return fmt.Errorf("endpoint health over %s: %v\n%s", all, err, out)
		}
		return nil
	})
	checkMembers(t, c, nodes[0].client("apiserver-etcd-client"), all)

	nodes[0].client("apiserver-etcd-client").mustCtl(t, all[:1], "put", "ha", "quorum")
	got := nodes[2].client("apiserver-etcd-client").mustCtl(t, all[2:], "get", "--print-value-only", "ha")
	if strings.TrimSpace(got) != "quorum" {
		t.Errorf("key put through cp1 reads %q through cp3, want quorum", got)
	}
}

// checkMembers proves with endpoint status and member list that the
// three members are one cluster with one leader.
func checkMembers(t *testing.T, c *spec.Cluster, client etcdClient, endpoints []string) {
	t.Helper()
	status := client.mustCtl(t, endpoints, "endpoint", "status", "--write-out=fields")
	members, leaders := uniqueFields(status, `"MemberID" : `), uniqueFields(status, `"Leader" : `)
	clusters := uniqueFields(status, `"ClusterID" : `)
	if len(members) != len(endpoints) || len(clusters) != 1 || len(leaders) != 1 {
		t.Errorf("endpoint status: %d members, %d cluster IDs, %d leaders; want %d, 1, 1\n%s",
			len(members), len(clusters), len(leaders), len(endpoints), status)
	}
	for leader := range leaders {
		if !members[leader] {
			t.Errorf("endpoint status: leader %s is none of the members\n%s", leader, status)
		}
	}
	list := client.mustCtl(t, endpoints[:1], "member", "list")
	for _, cp := range c.ControlPlaneNodes() {
		if !strings.Contains(list, ", started, "+cp.Name+", https://"+cp.Address+":") {
			t.Errorf("member list lacks %s started at %s:\n%s", cp.Name, cp.Address, list)
		}
	}
}

// uniqueFields collects the distinct values of the lines starting with prefix.
func uniqueFields(out, prefix string) map[string]bool {
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			seen[v] = true
		}
	}
	return seen
}

// initEtcdPKI runs pki.Init for c in a new temp dir.
func initEtcdPKI(t *testing.T, c *spec.Cluster) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := pki.Init(context.Background(), dir, pki.FromCluster(c)); err != nil {
		t.Fatalf("pki init: %v", err)
	}
	return dir
}

// endpoints is the node's client URL alone.
func (n *etcdNode) endpoints(t *testing.T) []string { return []string{n.endpoint(t)} }

// checkEtcdClients waits until the healthcheck client reads endpoint
// health, then has the API server's etcd client write key and read it back.
func checkEtcdClients(t *testing.T, n *etcdNode, key string) {
	t.Helper()
	health := n.client("etcd/healthcheck-client")
	testutil.Eventually(t, 20*time.Second, func() error {
		out, err := health.ctl(n.endpoints(t), "endpoint", "health")
		if err != nil || !strings.Contains(out, "is healthy") {
			return fmt.Errorf("endpoint health with the healthcheck client: %v\n%s", err, out)
		}
		return nil
	})
	api := n.client("apiserver-etcd-client")
	api.mustCtl(t, n.endpoints(t), "put", key, key)
	if got := strings.TrimSpace(api.mustCtl(t, n.endpoints(t), "get", "--print-value-only", key)); got != key {
		t.Errorf("get %s = %q, want %q", key, got, key)
	}
}

// checkEtcdRefuses proves that etcd refuses client's certificate: etcdctl
// fails, and etcd logs the TLS handshake it rejected.
func checkEtcdRefuses(t *testing.T, n *etcdNode, client etcdClient) {
	t.Helper()
	if out, err := client.ctl(n.endpoints(t), "get", "before"); err == nil {
		t.Fatalf("etcd accepted %s, want it refused:\n%s", client.cert, out)
	}
	testutil.Eventually(t, 5*time.Second, func() error {
		if !strings.Contains(n.log.String(), "certificate signed by unknown authority") {
			return fmt.Errorf("etcd did not log refusing %s for an unknown authority", client.cert)
		}
		return nil
	})
}

// checkRotationPhase checks the node holds the mix of a phase: the etcd
// CA bundle (new+old until phase 3) and etcd's leaves (server, peer, both
// clients) signed by the old CA in phase 1 and by the new one from phase 2.
func checkRotationPhase(t *testing.T, n *etcdNode, phase int, oldCA *x509.Certificate) {
	t.Helper()
	bundle := readCerts(t, n.caFile())
	wantBundle := map[int]int{1: 2, 2: 2, 3: 1}[phase]
	if len(bundle) != wantBundle || bundle[0].Equal(oldCA) || (wantBundle == 2 && !bundle[1].Equal(oldCA)) {
		t.Fatalf("phase %d: etcd/ca.crt holds %d certificates, want %d: the new CA first, then the old", phase, len(bundle), wantBundle)
	}
	signer, want := bundle[0], "new"
	if phase == 1 {
		signer, want = oldCA, "old"
	}
	for _, leaf := range []string{"etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client"} {
		cert := readCerts(t, filepath.Join(n.pki(), filepath.FromSlash(leaf)+".crt"))[0]
		if err := cert.CheckSignatureFrom(signer); err != nil {
			t.Fatalf("phase %d: %s.crt is not signed by the %s etcd CA: %v", phase, leaf, want, err)
		}
	}
}

// saveClient copies the node's certificate pair out of its pki dir, which
// later rollouts replace; the copy still trusts the node's current
// etcd/ca.crt, so a refusal can only come from the server.
func saveClient(t *testing.T, n *etcdNode, pair string) etcdClient {
	t.Helper()
	dir := t.TempDir()
	from, to := n.client(pair), etcdClient{
		cacert: n.caFile(), cert: filepath.Join(dir, "client.crt"), key: filepath.Join(dir, "client.key")}
	for src, dst := range map[string]string{from.cert: to.cert, from.key: to.key} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// readCerts parses every certificate of a PEM file.
func readCerts(t *testing.T, file string) []*x509.Certificate {
	t.Helper()
	rest, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return out
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parsing %s: %v", file, err)
		}
		out = append(out, cert)
	}
}
