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
	conf := filepath.Join(dir, "dnf.conf")
	if err := os.WriteFile(conf, []byte("[main]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, nil, "dnf", "--config="+conf, "--installroot="+root, "--releasever=12",
		"--setopt=reposdir=/dev/null", "--setopt=cachedir="+filepath.Join(dir, "cache"),
		"--repofrompath=slipway,"+url, "--repo=slipway",
		"--setopt=slipway.gpgcheck=1", "--setopt=slipway.repo_gpgcheck=1",
		"--setopt=slipway.gpgkey="+url+"repodata/repomd.xml.key",
		"-y", "install", "kubectl", "kubernetes-cni", "slipway-node", "kubeadm")
	if f.crictl {
		must(t, nil, "dnf", "--config="+conf, "--installroot="+root, "--releasever=12",
			"--setopt=reposdir=/dev/null", "--setopt=cachedir="+filepath.Join(dir, "cache"),
			"--repofrompath=slipway,"+url, "--repo=slipway", "--setopt=slipway.gpgcheck=1",
			"--setopt=slipway.gpgkey="+url+"repodata/repomd.xml.key", "-y", "install", "cri-tools")
	}

	q := must(t, nil, "rpm", "--root", root, "-q", "kubectl", "kubernetes-cni", "slipway-node", "kubeadm")
	t.Logf("installed:\n%s", q)
	for _, c := range []struct{ bin, arg, want string }{
		{"usr/bin/kubeadm", "version", "v1.33.0"},
		{"opt/cni/bin/host-local", "--version", "v1.6.2"},
		{"usr/bin/slipway-node", "version", ""},
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
}
