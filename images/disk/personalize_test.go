package disk

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/slipway-dev/slipway/node/boot"
)

func TestPersonalize(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "mtype", "fsck.fat")
	src, res := buildImage(t, fixture(t))
	before := fileDigest(t, src)
	dst := filepath.Join(t.TempDir(), "node1.raw")
	ign := []byte(`{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core"}]}}`)
	must(t, Personalize(context.Background(), src, dst, ign))

	if fileDigest(t, src) != before {
		t.Fatal("Personalize changed its source image")
	}
	esp := partition(t, res.Partitions, boot.LabelESP)
	got := cmd(t, []string{"MTOOLS_SKIP_CHECK=1"}, "mtype", "-i", mtoolsImg(dst, esp), "::/slipway/config.ign")
	if got != string(ign) {
		t.Errorf("config.ign = %q", got)
	}
	st, err := os.Stat(dst)
	must(t, err)
	if st.Size() != res.Size || st.Mode().Perm() != 0o600 {
		t.Errorf("dst size %d mode %v", st.Size(), st.Mode())
	}
	if blocks := st.Sys().(*syscall.Stat_t).Blocks * 512; blocks > st.Size()/4 {
		t.Errorf("dst is not sparse: %d of %d bytes allocated", blocks, st.Size())
	}
	info, err := Inspect(context.Background(), dst)
	must(t, err)
	if !info.Ignition {
		t.Error("Inspect does not see the config")
	}
	cmd(t, nil, "fsck.fat", "-n", extract(t, dst, esp.Start, esp.Size))
}

func TestPersonalizeReplacesConfig(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "mtype", "fsck.fat")
	in := fixture(t)
	in.Ignition = []byte(`{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/big","contents":{"source":"data:,` +
		strings.Repeat("x", 20000) + `"}}]}}`)
	src, res := buildImage(t, in)
	dir := t.TempDir()
	small := []byte(`{"ignition":{"version":"3.3.0"}}`)
	a, b := filepath.Join(dir, "a.raw"), filepath.Join(dir, "b.raw")
	must(t, Personalize(context.Background(), src, a, small))
	must(t, Personalize(context.Background(), src, b, small))
	esp := partition(t, res.Partitions, boot.LabelESP)
	if got := cmd(t, []string{"MTOOLS_SKIP_CHECK=1"}, "mtype", "-i", mtoolsImg(a, esp), "::/slipway/config.ign"); got != string(small) {
		t.Errorf("config.ign = %q", got)
	}
	// The shrunk file's clusters are freed (fsck.fat finds none lost)
	// and the result is reproducible.
	cmd(t, nil, "fsck.fat", "-n", extract(t, a, esp.Start, esp.Size))
	if fileDigest(t, a) != fileDigest(t, b) {
		t.Error("two personalizations of the same image and config differ")
	}
}

func TestPersonalizeRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	for name, ign := range map[string]string{
		"not JSON":   `ignition: {}`,
		"no version": `{"ignition":{}}`,
		"version 2":  `{"ignition":{"version":"2.3.0"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dst := filepath.Join(dir, "out.raw")
			err := Personalize(context.Background(), "/nonexistent.raw", dst, []byte(ign))
			if err == nil || !strings.Contains(err.Error(), "ignition") {
				t.Fatalf("err = %v", err)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Fatalf("output exists: %v", err)
			}
		})
	}
}
