package pki

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// bigConfig is the benchmark cluster: 3 control-plane nodes, 100 workers.
func bigConfig(alg string) Config {
	cfg := Config{ClusterName: "big", Endpoint: "10.0.0.1:6443", KeyAlgorithm: alg}
	for i := range 3 {
		cfg.Nodes = append(cfg.Nodes, Node{Name: fmt.Sprintf("cp%d", i), Address: fmt.Sprintf("10.0.0.%d", 10+i), ControlPlane: true})
	}
	for i := range 100 {
		cfg.Nodes = append(cfg.Nodes, Node{Name: fmt.Sprintf("w%d", i), Address: fmt.Sprintf("10.0.1.%d", 10+i)})
	}
	return cfg
}

// TestInitLargeCluster times Init for 3 control planes + 100 workers with
// each key algorithm and checks the count of files (reported with -v).
func TestInitLargeCluster(t *testing.T) {
	for _, alg := range []string{RSA2048, ECDSAP256} {
		t.Run(alg, func(t *testing.T) {
			start := time.Now()
			res := mustInit(t, t.TempDir(), bigConfig(alg))
			// 3 CAs x 2 + sa x 2 + 2 admin confs + 3 x (7 pairs x 2 + 3 confs) + 100 kubelet.conf
			if want := 6 + 2 + 2 + 3*17 + 100; len(res.Written) != want {
				t.Errorf("wrote %d files, want %d", len(res.Written), want)
			}
			t.Logf("Init %s, 3 control planes + 100 workers: %d files in %v", alg, len(res.Written), time.Since(start))
		})
	}
}

// BenchmarkInitLargeCluster measures Init for 3 control planes + 100
// workers with RSA-2048 keys.
func BenchmarkInitLargeCluster(b *testing.B) {
	for b.Loop() {
		if _, err := Init(context.Background(), b.TempDir(), bigConfig(RSA2048)); err != nil {
			b.Fatal(err)
		}
	}
}
