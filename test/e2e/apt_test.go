package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostMirrors returns the host's apt source files (the Debian mirror this
// machine may reach), passed to mmdebstrap as they are.
func hostMirrors(t *testing.T) []string {
	t.Helper()
	var files []string
	if _, err := os.Stat("/etc/apt/sources.list"); err == nil {
		files = append(files, "/etc/apt/sources.list")
	}
	for _, ext := range []string{"list", "sources"} {
		m, _ := filepath.Glob("/etc/apt/sources.list.d/*." + ext)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("the host has no apt sources (/etc/apt/sources.list{,.d}): mmdebstrap needs the Debian mirror")
	}
	return files
}

// dearmoredKey writes the repository's Release.key, dearmored by gpg, to
// dir/slipway.gpg: the form apt's signed-by takes.
func dearmoredKey(t *testing.T, armored, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "slipway.gpg")
	must(t, nil, "gpg", "--batch", "--yes", "--dearmor", "-o", out, armored)
	return out
}

// TestAPTInstall bootstraps Debian bookworm with mmdebstrap, installing
// every package from the repository served on 127.0.0.1 with its signature
// checked (kubelet's dependencies come from the Debian mirror), and checks
// the installed system: files, conffiles and real binaries that run. An
// upgrade to kubelet 1.33.0-2 with apt-get keeps a changed conffile.
func TestAPTInstall(t *testing.T) {
	needTools(t, "mmdebstrap", "gpg", "chroot")
	f := release(t)
	dir := t.TempDir()
	// The server serves a link, switched to the repository holding
	// kubelet revision 2 for the upgrade.
	link := filepath.Join(dir, "served")
	if err := os.Symlink(f.repo, link); err != nil {
		t.Fatal(err)
	}
	url := serve(t, link, nil)
	// mmdebstrap runs apt outside the root and apt inside it afterwards,
	// so the key sits at the same absolute path in both places (setup
	// hook); mmdebstrap empties the root's /tmp at the end, so the
	// customize hook moves it to /etc/apt/keyrings for later apt runs.
	key := dearmoredKey(t, filepath.Join(f.debRepo(), "Release.key"), dir)
	root := filepath.Join(dir, "root")
	// init-system-helpers gives kubelet's postinst deb-systemd-helper,
	// so the script's enable branch runs and leaves its symlink.
	args := []string{"--variant=apt", "--include=init-system-helpers," + strings.Join(f.installable(), ","),
		`--setup-hook=mkdir -p "$1` + dir + `" && cp ` + key + ` "$1` + key + `"`,
		`--customize-hook=mkdir -p "$1/etc/apt/keyrings" && cp ` + key + ` "$1/etc/apt/keyrings/slipway.gpg" && ` +
			`grep -rl "signed-by=` + key + `" "$1/etc/apt" | xargs sed -i "s|signed-by=` + key + `|signed-by=/etc/apt/keyrings/slipway.gpg|"`,
		"bookworm", root}
	args = append(args, hostMirrors(t)...)
	args = append(args, "deb [signed-by="+key+"] "+url+"/v1.33/deb/ /")
	must(t, nil, "mmdebstrap", args...)
	checkAPTRoot(t, f, root)
	aptUpgradeKubelet(t, f, root, link)
}

// checkAPTRoot checks the bootstrapped root: package versions, files,
// conffiles, checksums, the postinst's effect and binaries that run.
func checkAPTRoot(t *testing.T, f *fixture, root string) {
	// Debian has no kubelet, kubeadm or slipway-node: installed, they came
	// from the repository on 127.0.0.1 (mmdebstrap drops its lists after).
	if v := must(t, nil, "chroot", root, "dpkg-query", "-W", "-f=${Version}", "kubelet"); v != "1.33.0-1" {
		t.Errorf("kubelet %s installed, want 1.33.0-1", v)
	}
	if v := must(t, nil, "chroot", append([]string{root, "dpkg", "--verify"}, f.installable()...)...); v != "" {
		t.Errorf("dpkg --verify: installed files differ from the packages' md5sums:\n%s", v)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/kubelet.service")); err != nil {
		t.Errorf("kubelet's postinst did not enable kubelet.service: %v", err)
	}

	files := must(t, nil, "chroot", root, "dpkg", "-L", "kubelet")
	for _, p := range []string{"/usr/bin/kubelet", "/usr/lib/systemd/system/kubelet.service", "/etc/default/kubelet"} {
		if !containsLine(files, p) {
			t.Errorf("dpkg -L kubelet does not list %s:\n%s", p, files)
		}
	}
	conf := must(t, nil, "chroot", root, "dpkg-query", "-W", "-f=${Conffiles}", "kubelet")
	if !strings.Contains(conf, "/etc/default/kubelet ") {
		t.Errorf("/etc/default/kubelet is not a conffile of kubelet; Conffiles:%q", conf)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"kubelet", "--version"}, "Kubernetes v1.33.0"},
		{[]string{"kubeadm", "version", "-o", "short"}, "v1.33.0"},
		{[]string{"/opt/cni/bin/bridge", "--version"}, "v1.6.2"},
		{[]string{"kubectl", "version", "--client"}, "v1.20.2"},
		{[]string{"slipway-node", "version"}, nodeVersion(t)},
	} {
		r := run(t, nil, "chroot", append([]string{root}, c.args...)...)
		out := r.stdout + r.stderr // the CNI plugins print their version on stderr
		if r.code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("chroot %s: exit status %d, want %q in output, got %q", strings.Join(c.args, " "), r.code, c.want, out)
		}
		t.Logf("%s: %s", strings.Join(c.args, " "), strings.TrimSpace(out))
	}
	if f.crictl {
		if out := must(t, nil, "chroot", root, "crictl", "--version"); !strings.Contains(out, "v1.33.0") {
			t.Errorf("crictl --version: %q", out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf")); err != nil {
		t.Errorf("kubeadm's kubelet drop-in is not installed: %v", err)
	}
}

func containsLine(s, line string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// aptUpdate runs apt-get update against the one source line in a private
// apt directory (no host state read or written), returning its result.
func aptUpdate(t *testing.T, source string) result {
	t.Helper()
	d := t.TempDir()
	for _, sub := range []string{"etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d",
		"etc/apt/trusted.gpg.d", "state/lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(d, "etc/apt/sources.list"), []byte(source+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return run(t, []string{"APT_CONFIG=/dev/null"}, "apt-get", "-o", "Dir::Etc="+d+"/etc/apt",
		"-o", "Dir::State="+d+"/state", "-o", "Dir::State::status="+d+"/status", "-o", "Dir::Cache="+d+"/cache",
		"-o", "APT::Sandbox::User=root", "-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64",
		"--error-on=any", "update")
}

// TestAPTSignature proves apt checks the repository: the signed index is
// accepted, and a tampered InRelease, a tampered Packages index or
// another key are each refused.
func TestAPTSignature(t *testing.T) {
	needTools(t, "apt-get", "gpg")
	f := release(t)
	key := dearmoredKey(t, filepath.Join(f.debRepo(), "Release.key"), t.TempDir())
	otherKey := filepath.Join(t.TempDir(), "other.asc")
	if err := os.WriteFile(otherKey, generateKey(t), 0o600); err != nil {
		t.Fatal(err)
	}
	// the other key's public part, exported by gpg from the private key
	gnupg := t.TempDir()
	must(t, nil, "gpg", "--homedir", gnupg, "--batch", "--import", otherKey)
	other := filepath.Join(gnupg, "other.gpg")
	must(t, nil, "gpg", "--homedir", gnupg, "--batch", "--export", "-o", other)

	flip := func(names ...string) func(string, []byte) []byte {
		return func(p string, b []byte) []byte {
			for _, n := range names {
				if strings.HasSuffix(p, "/"+n) {
					return tamper(b)
				}
			}
			return nil
		}
	}
	for _, c := range []struct {
		name    string
		rewrite func(string, []byte) []byte
		key     string
		want    string // "" means success
	}{
		{name: "signed", key: key},
		{name: "tampered InRelease", rewrite: flip("InRelease"), key: key, want: "BADSIG"},
		{name: "tampered Packages", rewrite: flip("Packages", "Packages.gz", "Packages.xz"), key: key, want: "Hash Sum mismatch"},
		{name: "other key", key: other, want: "NO_PUBKEY"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := serve(t, f.repo, c.rewrite)
			r := aptUpdate(t, "deb [signed-by="+c.key+"] "+url+"/v1.33/deb/ /")
			out := r.stdout + r.stderr
			switch {
			case c.want == "" && r.code != 0:
				t.Fatalf("apt-get update: exit status %d\n%s", r.code, out)
			case c.want != "" && r.code == 0:
				t.Fatalf("apt-get update accepted the repository:\n%s", out)
			case c.want != "" && !strings.Contains(out, c.want):
				t.Fatalf("apt-get update failed without %q:\n%s", c.want, out)
			}
			t.Logf("apt-get update: exit status %d", r.code)
		})
	}
}

// tamper changes one byte: the case of the first Description's first
// letter in a text file, the middle byte of a compressed one.
func tamper(b []byte) []byte {
	out := bytes.Clone(b)
	if i := bytes.Index(out, []byte("Description: ")); i >= 0 {
		out[i+len("Description: ")] ^= 0x20
	} else {
		out[len(out)/2] ^= 1
	}
	return out
}
