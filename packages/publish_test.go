package packages

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/signing"
)

func testSigner(t *testing.T) *signing.Signer {
	t.Helper()
	key, err := signing.Generate("slipway test", "test@slipway.invalid", epoch)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "key.asc")
	os.WriteFile(p, key, 0o600)
	s, err := signing.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPublishKeepsEarlierReleases publishes two versions of a package into
// one repository: both stay indexed, and the metadata is signed.
func TestPublishKeepsEarlierReleases(t *testing.T) {
	out, cache := t.TempDir(), t.TempDir()
	signer := testSigner(t)
	r := writeRelease(t, filepath.Join(agents, "slipway-node-linux-amd64"))
	opts := []Option{WithCacheDir(cache), WithSourceDateEpoch(epoch), WithNodeAgent(nodeAgent), WithSigner(signer)}
	if _, repos, err := Publish(context.Background(), r, out, opts...); err != nil || len(repos) != 2 {
		t.Fatalf("first publish: %v %+v", err, repos)
	}
	r.Spec.Components[0].Version = "2.2.0"
	_, repos, err := Publish(context.Background(), r, out, opts...)
	if err != nil {
		t.Fatal(err)
	}
	// slipway-node (2 arches) + tool 2.1.0 and 2.2.0 (2 arches each).
	for _, repo := range repos {
		if repo.Packages != 6 || !repo.Signed {
			t.Errorf("%s repository: %d packages, signed=%v; want 6, signed", repo.Format, repo.Packages, repo.Signed)
		}
	}
	index, err := os.ReadFile(filepath.Join(out, "v1.33", "deb", "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"Version: 2.1.0-1", "Version: 2.2.0-1"} {
		if !strings.Contains(string(index), v) {
			t.Errorf("Packages lacks %s", v)
		}
	}
	for _, f := range []string{"deb/InRelease", "deb/Release.gpg", "deb/Release.key", "rpm/repodata/repomd.xml.asc", "rpm/repodata/repomd.xml.key"} {
		if _, err := os.Stat(filepath.Join(out, "v1.33", f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

// TestCancelLeavesNothing: a cancelled build (Ctrl-C) writes nothing.
func TestCancelLeavesNothing(t *testing.T) {
	r := writeRelease(t, filepath.Join(agents, "slipway-node-linux-amd64"))
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Publish(ctx, r, out, WithCacheDir(t.TempDir()), WithSourceDateEpoch(epoch), WithNodeAgent(nodeAgent))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("output created by a cancelled run")
	}
	siblings, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".out.slipway-*"))
	if len(siblings) != 0 {
		t.Fatalf("staging left: %v", siblings)
	}
}
