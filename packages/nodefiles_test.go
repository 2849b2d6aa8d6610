package packages

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/node/health"
)

// TestNodeFiles builds the slipway-node packages and checks, with dpkg-deb,
// rpm, systemd-analyze and the node's own loader, what they carry for the
// health gate.
func TestNodeFiles(t *testing.T) {
	for _, tool := range []string{"dpkg-deb", "rpm", "systemd-analyze"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (dpkg, rpm, systemd)", tool)
		}
	}
	out := t.TempDir()
	if _, err := buildTo(t, writeRelease(t, filepath.Join(agents, "slipway-node-linux-amd64")), out, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	links := []string{
		"/usr/lib/systemd/system/boot-complete.target.requires/slipway-health.service",
		"/usr/lib/systemd/system/multi-user.target.wants/slipway-health.service",
	}
	listing := runTool(t, "dpkg-deb", "-c", filepath.Join(out, "slipway-node_1.0.0-1_amd64.deb"))
	rpmLinks := runTool(t, "rpm", "-qp", "--qf", "[%{FILENAMES} -> %{FILELINKTOS}\n]", filepath.Join(out, "slipway-node-1.0.0-1.x86_64.rpm"))
	for _, l := range links {
		if !strings.Contains(listing, "."+l+" -> ../slipway-health.service") {
			t.Errorf("deb lacks the symlink %s -> ../slipway-health.service:\n%s", l, listing)
		}
		if !strings.Contains(rpmLinks, l+" -> ../slipway-health.service") {
			t.Errorf("rpm lacks the symlink %s -> ../slipway-health.service:\n%s", l, rpmLinks)
		}
	}
	root := t.TempDir()
	// The host's units (sysinit.target, boot-complete.target, ...) under
	// the package's, for systemd-analyze.
	units := filepath.Join(root, "usr/lib/systemd/system")
	if err := os.MkdirAll(units, 0o755); err != nil {
		t.Fatal(err)
	}
	runTool(t, "cp", "-a", "/usr/lib/systemd/system/.", units)
	runTool(t, "dpkg-deb", "-x", filepath.Join(out, "slipway-node_1.0.0-1_amd64.deb"), root)
	for _, l := range links {
		b, err := os.ReadFile(filepath.Join(root, l))
		if err != nil || !bytes.Equal(b, healthUnit) {
			t.Errorf("%s does not lead to slipway-health.service: %v", l, err)
		}
	}
	if msg := runTool(t, "systemd-analyze", "verify", "--man=no", "--root="+root, "slipway-health.service", "boot-complete.target"); msg != "" {
		t.Errorf("systemd-analyze verify: %s", msg)
	}
	c, err := health.Load(filepath.Join(root, health.ImageDir))
	if err != nil || !slices.Equal(c.Units, []string{"containerd.service"}) || len(c.Sources) != 1 {
		t.Errorf("the image's checks: %+v, %v", c, err)
	}
}

// runTool runs a tool, failing the test unless it succeeds; it returns
// stdout and stderr.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
