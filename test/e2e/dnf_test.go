package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDNFInstall installs the packages without dependencies into an empty
// root with dnf from the yum repository served on 127.0.0.1, checking the
// package signatures (gpgcheck) and the signed repomd.xml (repo_gpgcheck)
// with the key the repository publishes, then runs the installed binaries.
func TestDNFInstall(t *testing.T) {
	needTools(t, "dnf", "rpm")
	f := release(t)
	url := serve(t, f.repo, nil) + "/v1.33/rpm/"
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	var pkgs []string // all but kubelet, whose dependencies an empty root lacks
	for _, p := range f.installable() {
		if p != "kubelet" {
			pkgs = append(pkgs, p)
		}
	}
	must(t, nil, "dnf", append(dnfArgs(t, dir, url, url+"repodata/repomd.xml.key"), append([]string{"-y", "install"}, pkgs...)...)...)
	q := must(t, nil, "rpm", append([]string{"--root", root, "-q"}, pkgs...)...)
	t.Logf("installed:\n%s", q)
	if v := must(t, nil, "rpm", append([]string{"--root", root, "-V"}, pkgs...)...); v != "" {
		t.Errorf("rpm -V: installed files differ from the packages:\n%s", v)
	}
	for _, c := range []struct{ bin, arg, want string }{
		{"usr/bin/kubeadm", "version", "v1.33.0"},
		{"opt/cni/bin/host-local", "--version", "v1.6.2"},
		{"usr/bin/slipway-node", "version", nodeVersion(t)},
	} {
		r := run(t, nil, filepath.Join(root, c.bin), c.arg)
		if out := r.stdout + r.stderr; r.code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%s %s: exit status %d, want %q, got %q", c.bin, c.arg, r.code, c.want, out)
		}
	}
	for _, p := range []string{"usr/bin/kubectl", "opt/cni/bin/bridge", "opt/cni/bin/loopback", "opt/cni/bin/portmap",
		"usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("not installed: /%s", p)
		}
	}
}

// dnfArgs are dnf's options for an empty root under dir with the one
// repository at url, package and repomd.xml signatures checked with keyURL.
func dnfArgs(t *testing.T, dir, url, keyURL string) []string {
	t.Helper()
	conf := filepath.Join(dir, "dnf.conf")
	if err := os.WriteFile(conf, []byte("[main]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"--config=" + conf, "--installroot=" + filepath.Join(dir, "root"), "--releasever=12",
		"--setopt=reposdir=/dev/null", "--setopt=cachedir=" + filepath.Join(dir, "cache"),
		"--repofrompath=slipway," + url, "--repo=slipway",
		"--setopt=slipway.gpgcheck=1", "--setopt=slipway.repo_gpgcheck=1", "--setopt=slipway.gpgkey=" + keyURL}
}

// TestDNFSignature proves dnf checks the signed repomd.xml: the repository
// loads with its key, and a tampered repomd.xml or another key is refused.
func TestDNFSignature(t *testing.T) {
	needTools(t, "dnf", "gpg")
	f := release(t)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "other.asc"), generateKey(t), 0o600); err != nil {
		t.Fatal(err)
	}
	gnupg := t.TempDir()
	must(t, nil, "gpg", "--homedir", gnupg, "--batch", "--import", filepath.Join(other, "other.asc"))
	must(t, nil, "gpg", "--homedir", gnupg, "--batch", "--armor", "--export", "-o", filepath.Join(other, "other.key"))
	otherURL := serve(t, other, nil) + "/other.key"
	for _, c := range []struct {
		name    string
		rewrite func(string, []byte) []byte
		other   bool
		fail    bool
	}{
		{name: "signed"},
		{name: "tampered repomd.xml", fail: true, rewrite: func(p string, b []byte) []byte {
			if !strings.HasSuffix(p, "/repomd.xml") {
				return nil
			}
			return []byte(strings.Replace(string(b), "<revision>", "<revision>1", 1))
		}},
		{name: "other key", other: true, fail: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := serve(t, f.repo, c.rewrite) + "/v1.33/rpm/"
			key := url + "repodata/repomd.xml.key"
			if c.other {
				key = otherURL
			}
			r := run(t, nil, "dnf", append(dnfArgs(t, t.TempDir(), url, key), "-y", "makecache")...)
			out := r.stdout + r.stderr
			switch {
			case !c.fail && r.code != 0:
				t.Fatalf("dnf makecache: exit status %d\n%s", r.code, tail(out))
			case c.fail && r.code == 0:
				t.Fatalf("dnf accepted the repository:\n%s", tail(out))
			case c.fail && !strings.Contains(out, "repomd.xml GPG signature verification error"):
				t.Fatalf("dnf failed, but not on the signature:\n%s", tail(out))
			case c.fail:
				t.Logf("dnf makecache: exit status %d: %s", r.code, lastError(out))
			}
		})
	}
}

// lastError is the last line of out that mentions an error.
func lastError(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(lines[i]), "error") {
			return lines[i]
		}
	}
	return lines[len(lines)-1]
}

// TestRPMSignaturesAndMetadata checks every rpm's signature with rpm -K
// (refused without the key, accepted with it), kubelet's dependencies,
// config file and scripts, and installs kubelet with rpm alone.
func TestRPMSignaturesAndMetadata(t *testing.T) {
	needTools(t, "rpm")
	f := release(t)
	key := filepath.Join(f.rpmRepo(), "repodata", "repomd.xml.key")
	rpms := glob(t, filepath.Join(f.rpmRepo(), "*.rpm"))

	empty := t.TempDir()
	if r := run(t, nil, "rpm", append([]string{"--dbpath", empty, "-K"}, rpms...)...); r.code == 0 {
		t.Errorf("rpm -K passed without the key imported:\n%s", r.stdout)
	}
	db := t.TempDir()
	must(t, nil, "rpm", "--dbpath", db, "--import", key)
	out := must(t, nil, "rpm", append([]string{"--dbpath", db, "-K"}, rpms...)...)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasSuffix(l, "digests signatures OK") {
			t.Errorf("rpm -K: %s", l)
		}
	}
	t.Logf("rpm -K: %d packages, digests signatures OK", len(rpms))

	kubelet := glob(t, filepath.Join(f.rpmRepo(), "kubelet-1.33.0-*.x86_64.rpm"))[0]
	req := must(t, nil, "rpm", "-qp", "--requires", kubelet)
	for _, want := range []string{"kubernetes-cni >= 1.2.0", "util-linux"} {
		if !containsLine(req, want) {
			t.Errorf("kubelet requires no %q:\n%s", want, req)
		}
	}
	if rec := must(t, nil, "rpm", "-qp", "--recommends", kubelet); !containsLine(rec, "iptables >= 1.8.4") {
		t.Errorf("kubelet recommends no iptables >= 1.8.4:\n%s", rec)
	}
	flags := must(t, nil, "rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]", kubelet)
	if !containsLine(flags, "/etc/sysconfig/kubelet cn") {
		t.Errorf("/etc/sysconfig/kubelet is not %%config(noreplace) (flags cn):\n%s", flags)
	}
	scripts := must(t, nil, "rpm", "-qp", "--scripts", kubelet)
	for _, want := range []string{"postinstall scriptlet", "systemctl --no-reload preset kubelet.service",
		"preuninstall scriptlet", "systemctl --no-reload disable --now kubelet.service"} {
		if !strings.Contains(scripts, want) {
			t.Errorf("rpm --scripts lacks %q:\n%s", want, scripts)
		}
	}

	root := t.TempDir()
	must(t, nil, "rpm", "--root", root, "--import", key)
	must(t, nil, "rpm", "--root", root, "--nodeps", "--noscripts", "-i", kubelet)
	for _, p := range []string{"usr/bin/kubelet", "usr/lib/systemd/system/kubelet.service", "etc/sysconfig/kubelet"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("rpm -i kubelet: /%s missing", p)
		}
	}
	if c := must(t, nil, "rpm", "--root", root, "-qc", "kubelet"); !containsLine(c, "/etc/sysconfig/kubelet") {
		t.Errorf("rpm -qc kubelet does not list /etc/sysconfig/kubelet:\n%s", c)
	}
	if v := must(t, nil, filepath.Join(root, "usr/bin/kubelet"), "--version"); !strings.Contains(v, "Kubernetes v1.33.0") {
		t.Errorf("installed kubelet --version: %q", v)
	}

	// %config(noreplace): upgrading to revision 2 keeps a changed file.
	conf := filepath.Join(root, "etc/sysconfig/kubelet")
	if err := os.WriteFile(conf, []byte(customKubeletEnv), 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := glob(t, filepath.Join(f.upgradeRepo(t), "v1.33", "rpm", "kubelet-1.33.0-2.x86_64.rpm"))[0]
	must(t, nil, "rpm", "--root", root, "--nodeps", "--noscripts", "-U", r2)
	if v := must(t, nil, "rpm", "--root", root, "-q", "kubelet"); strings.TrimSpace(v) != "kubelet-1.33.0-2.x86_64" {
		t.Errorf("after rpm -U: %s", v)
	}
	checkConfigKept(t, conf)
}
