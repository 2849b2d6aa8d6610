package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/pki"
)

// TestEtcdSnapshotBeforeUpgrade: the agent's etcd snapshot (what upgrade
// saves to STATE on a control-plane node) taken from Debian's etcd 3.4
// running the generated static pod's flags, through the member's gRPC
// gateway with kubeadm's healthcheck client certificate. etcdctl
// verifies it (hash, revision, keys), and a member that does not answer
// fails the snapshot.
func TestEtcdSnapshotBeforeUpgrade(t *testing.T) {
	needTools(t, "etcd", "etcdctl")
	t.Parallel()
	c := etcdCluster(t, pki.ECDSAP256, "127.0.0.1")
	n := newEtcdNode(t, c, 0, etcdPorts{})
	n.deploy(t, initEtcdPKI(t, c))
	n.start(t)
	cl := n.client("etcd/healthcheck-client")
	checkEtcdClients(t, n, "/registry/a")
	for _, k := range []string{"/registry/b", "/registry/c"} {
		n.client("apiserver-etcd-client").mustCtl(t, []string{n.endpoint(t)}, "put", k, k)
	}
	// The node's root: its manifests say etcd is local.
	man := filepath.Join(n.root, "etc", "kubernetes", "manifests")
	if err := os.MkdirAll(man, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(man, "etcd.yaml"), []byte("apiVersion: v1\nkind: Pod\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	node := &agent.Node{Root: n.root, Live: true, EtcdEndpoint: n.endpoint(t)}
	snap, err := node.SnapshotEtcd(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(snap) != filepath.Join(n.root, "var", "lib", "slipway", "etcd") {
		t.Errorf("snapshot written to %s, not STATE's /var/lib/slipway/etcd", snap)
	}
	out := cl.mustCtl(t, []string{n.endpoint(t)}, "snapshot", "status", snap, "-w", "json")
	var st struct {
		Revision int64 `json:"revision"`
		TotalKey int64 `json:"totalKey"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("etcdctl snapshot status: %v\n%s", err, out)
	}
	if st.Revision < 4 || st.TotalKey < 3 {
		t.Errorf("snapshot status %+v: want revision >= 4 and >= 3 keys", st)
	}
	n.stop()
	if _, err := node.SnapshotEtcd(context.Background()); err == nil {
		t.Error("a snapshot of a stopped member succeeded")
	}
}
