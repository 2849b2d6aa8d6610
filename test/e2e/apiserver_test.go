package e2e

import (
	"context"
	"fmt"
	"net"
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
)

// TestSkewFromAPIServer: the version upgrade checks the skew policy
// against comes from a real kube-apiserver v1.33.0 (built from source by
// hack/build-kube.sh) running the generated static pod's flags over
// Debian's etcd, asked through the node's generated admin.conf. A worker
// payload of 1.34 is then refused as newer than the apiserver, 1.33 and
// 1.30 pass, 1.29 is too old.
func TestSkewFromAPIServer(t *testing.T) {
	needTools(t, "etcd", "etcdctl")
	f := release(t)
	bin := filepath.Join(f.kube, "amd64", "bin", "kube-apiserver")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("kube-apiserver was not built (hack/build-kube.sh): %v", err)
	}
	c := etcdCluster(t, pki.ECDSAP256, "127.0.0.1")
	n := newEtcdNode(t, c, 0, etcdPorts{})
	n.deploy(t, initEtcdPKI(t, c))
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
