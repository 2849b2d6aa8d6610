package ignition

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debianIgnition is where Debian's ignition package puts the binary.
const debianIgnition = "/usr/lib/dracut/modules.d/30ignition/ignition"

// applyWithIgnition runs the real Ignition (Debian's 2.14) fetch and files
// stages on cfg into a temporary root, the way first boot does, and
// returns the root. The root is prepared as DESIGN.md describes: SELinux
// disabled with an empty file_contexts for policycoreutils' setfiles, and
// passwd files for useradd.
func applyWithIgnition(t *testing.T, config []byte) string {
	t.Helper()
	for _, tool := range []string{debianIgnition, "setfiles", "useradd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install Debian's ignition and policycoreutils (hack/deps.sh)", tool)
		}
	}
	dir := t.TempDir()
	// Ignition writes a user's SSH keys as that user: every directory
	// above the root must be searchable (t.TempDir makes them 0700).
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "root")
	for p, body := range map[string]string{
		"etc/selinux/config":                            "SELINUX=disabled\nSELINUXTYPE=none\n",
		"etc/selinux/none/contexts/files/file_contexts": "",
		"etc/passwd":  "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":   "root:x:0:\n",
		"etc/shadow":  "root:*:19000:0:99999:7:::\n",
		"etc/gshadow": "root:*::\n",
	} {
		write(t, filepath.Join(root, p), body)
	}
	cfgFile := filepath.Join(dir, "config.ign")
	write(t, cfgFile, string(config))
	for _, stage := range []string{"fetch", "files"} {
		cmd := exec.Command(debianIgnition, "-platform", "file", "-stage", stage, "-root", root,
			"-config-cache", filepath.Join(dir, "ignition.json"), "-state-file", filepath.Join(dir, "state"), "-log-to-stdout")
		cmd.Env = append(os.Environ(), "IGNITION_CONFIG_FILE="+cfgFile)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Ignition finished successfully") {
			t.Fatalf("ignition %s stage: %v\n%s", stage, err, out)
		}
	}
	return root
}

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRealIgnitionAppliesConfig(t *testing.T) {
	cfg, err := Build(Node{
		Name: "cp1",
		Files: []File{
			{Path: "/etc/kubernetes/pki/ca.key", Mode: 0o600, Contents: []byte("secret")},
			{Path: "/etc/kubernetes/manifests/etcd.yaml", Mode: 0o600, Contents: []byte("kind: Pod\n")},
		},
		Units:             []Unit{{Name: "kubelet.service", Enabled: true, DropIns: map[string]string{"20-slipway.conf": "[Service]\nExecStart=\n"}}},
		SSHAuthorizedKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHv4 test@slipway"},
		Butane:            "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents: {inline: hello}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := applyWithIgnition(t, b)
	checks := []struct {
		path, contents string
		mode           os.FileMode
	}{
		{"etc/hostname", "cp1\n", 0o644},
		{"etc/kubernetes/pki/ca.key", "secret", 0o600},
		{"etc/kubernetes/manifests/etcd.yaml", "kind: Pod\n", 0o600},
		{"etc/motd", "hello", 0o644},
		{"etc/systemd/system/kubelet.service.d/20-slipway.conf", "[Service]\nExecStart=\n", 0o644},
	}
	for _, c := range checks {
		st, err := os.Stat(filepath.Join(root, c.path))
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		got, _ := os.ReadFile(filepath.Join(root, c.path))
		if string(got) != c.contents || st.Mode().Perm() != c.mode {
			t.Errorf("%s: %q mode %o, want %q mode %o", c.path, got, st.Mode().Perm(), c.contents, c.mode)
		}
	}
	preset, _ := os.ReadFile(filepath.Join(root, "etc/systemd/system-preset/20-ignition.preset"))
	if !strings.Contains(string(preset), "enable kubelet.service") {
		t.Errorf("kubelet.service not enabled by preset: %q", preset)
	}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if !strings.Contains(string(passwd), "core:") {
		t.Errorf("core user not created: %q", passwd)
	}
	keys, _ := filepath.Glob(filepath.Join(root, "home/core/.ssh/authorized_keys*"))
	if len(keys) == 0 {
		t.Errorf("no authorized_keys for core")
	}
}
