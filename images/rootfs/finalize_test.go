package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// writeTree makes a tree: a name ending in "/" is a directory, a body
// starting with "->" a symlink to the rest, anything else a file.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch body := files[n]; {
		case strings.HasSuffix(n, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(body, "->"):
			err = os.Symlink(strings.TrimPrefix(body, "->"), p)
		default:
			err = os.WriteFile(p, []byte(body), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every file's content and every link's target.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, st os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case st.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "->" + target
		case st.IsDir():
			out[rel+"/"] = ""
		default:
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const debianOSRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n"

func TestFinalize(t *testing.T) {
	info := OSInfo{Version: "1.2.0", Name: "Slipway \"Node\" OS", KubernetesVersion: "v1.33.1"}
	wantOSRelease := debianOSRelease + "IMAGE_ID=slipway\nIMAGE_VERSION=1.2.0\nVARIANT=\"Slipway \\\"Node\\\" OS\"\nSLIPWAY_KUBERNETES_VERSION=v1.33.1\n"
	for _, tc := range []struct {
		name string
		info OSInfo
		tree map[string]string
		want map[string]string // files checked after Finalize; "" means absent
		err  string
	}{
		{
			name: "mmdebstrap tree",
			info: info,
			tree: map[string]string{
				"usr/lib/os-release":          debianOSRelease,
				"etc/os-release":              "->../usr/lib/os-release",
				"etc/hostname":                "buildhost\n",
				"etc/resolv.conf":             "nameserver 10.0.0.1\n",
				"etc/machine-id":              "",
				"etc/fstab":                   "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n",
				"root/.bashrc":                "PS1=x\n",
				"home/":                       "",
				"usr/local/bin/":              "",
				"usr/share/systemd/tmp.mount": "[Mount]\nWhat=tmpfs\n",
			},
			want: map[string]string{
				"root":                         "->var/roothome",
				"var/roothome/.bashrc":         "PS1=x\n",
				"home":                         "->var/home",
				"usr/local":                    "->../var/usrlocal",
				"var/usrlocal/bin/":            "",
				"etc/systemd/system/tmp.mount": "[Mount]\nWhat=tmpfs\n",
				"etc/systemd/system/local-fs.target.wants/tmp.mount": "->/etc/systemd/system/tmp.mount",
				"etc/systemd/system/systemd-firstboot.service":       "->/dev/null",
				"usr/lib/os-release":                                 wantOSRelease,
				"etc/os-release":                                     "->../usr/lib/os-release",
				"etc/machine-id":                                     "uninitialized\n",
				"etc/fstab":                                          "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n" + ESPFstabLine + "\n",
				"etc/selinux/config":                                 "# Written by slipway: Ignition relabels files unless SELinux is disabled.\nSELINUX=disabled\nSELINUXTYPE=none\n",
				"efi/":                                               "",
				"etc/hostname":                                       "",
				"etc/resolv.conf":                                    "",
			},
		},
		{
			name: "absolute os-release link and resolved's resolv.conf",
			info: OSInfo{Version: "2"},
			tree: map[string]string{
				"usr/lib/os-release": "ID=debian\nIMAGE_ID=old\nIMAGE_VERSION=1\nVARIANT=old\nSLIPWAY_KUBERNETES_VERSION=v1\n",
				"etc/os-release":     "->/usr/lib/os-release",
				"etc/resolv.conf":    "->../run/systemd/resolve/stub-resolv.conf",
				"etc/fstab":          "UUID=1 / ext4 defaults 0 1\nLABEL=old /efi vfat defaults 0 2\n# LABEL=x /efi vfat defaults 0 2\n",
				"efi/":               "",
			},
			want: map[string]string{
				"usr/lib/os-release": "ID=debian\nIMAGE_ID=slipway\nIMAGE_VERSION=2\n",
				"etc/os-release":     "->/usr/lib/os-release",
				"etc/resolv.conf":    "->../run/systemd/resolve/stub-resolv.conf",
				"etc/fstab":          "UUID=1 / ext4 defaults 0 1\n# LABEL=x /efi vfat defaults 0 2\n" + ESPFstabLine + "\n",
				"efi/":               "",
			},
		},
		{
			name: "bare tree gets os-release and its link",
			info: OSInfo{Version: "3"},
			tree: map[string]string{"usr/": ""},
			want: map[string]string{
				"usr/lib/os-release": "IMAGE_ID=slipway\nIMAGE_VERSION=3\n",
				"etc/os-release":     "->../usr/lib/os-release",
				"etc/fstab":          ESPFstabLine + "\n",
				"etc/machine-id":     "uninitialized\n",
			},
		},
		{name: "empty version", tree: map[string]string{"etc/": ""}, err: "OS version is empty"},
		{name: "/efi is a file", info: OSInfo{Version: "1"}, tree: map[string]string{"efi": "x"}, err: "/efi exists and is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.tree)
			err := Finalize(dir, tc.info)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Finalize = %v, want error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			first := readTree(t, dir)
			for name, want := range tc.want {
				got, ok := first[name]
				if want == "" && !strings.HasSuffix(name, "/") {
					if ok {
						t.Errorf("%s is still there: %q", name, got)
					}
					continue
				}
				if !ok || got != want {
					t.Errorf("%s = %q (present %v), want %q", name, got, ok, want)
				}
			}
			if err := Finalize(dir, tc.info); err != nil {
				t.Fatal(err)
			}
			if again := readTree(t, dir); !equalMaps(first, again) {
				t.Errorf("second Finalize changed the tree:\n%v\n%v", first, again)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// bootable is the smallest tree Check accepts, laid out as Debian does:
// merged /usr, kernel in /boot, /sbin/init an absolute link.
func bootable() map[string]string {
	return map[string]string{
		"lib":                               "->usr/lib",
		"sbin":                              "->usr/sbin",
		"boot/vmlinuz-6.1.0-50-cloud-amd64": "kernel",
		"usr/lib/modules/6.1.0-50-cloud-amd64/modules.dep": "",
		"usr/lib/systemd/systemd":                          "systemd",
		"usr/sbin/init":                                    "->/lib/systemd/systemd",
		"usr/lib/systemd/boot/efi/systemd-bootx64.efi":     "efi",
		"usr/lib/dracut/modules.d/30ignition/ignition":     "ignition",
	}
}

func TestCheck(t *testing.T) {
	all := []error{ErrNoKernel, ErrNoSystemd, ErrNoBootloader, ErrNoIgnition}
	for _, tc := range []struct {
		name   string
		change map[string]string // "" deletes
		want   []error
	}{
		{name: "bootable"},
		{name: "kernel in /usr/lib/modules", change: map[string]string{"boot/vmlinuz-6.1.0-50-cloud-amd64": "", "usr/lib/modules/6.1.0-50-cloud-amd64/vmlinuz": "k"}},
		{name: "arm64 bootloader", change: map[string]string{"usr/lib/systemd/boot/efi/systemd-bootx64.efi": "", "usr/lib/systemd/boot/efi/systemd-bootaa64.efi": "e"}},
		{name: "no systemd", change: map[string]string{"usr/sbin/init": "", "usr/lib/systemd/systemd": ""}, want: []error{ErrNoSystemd}},
		{name: "init without systemd", change: map[string]string{"usr/sbin/init": "busybox", "usr/lib/systemd/systemd": ""}},
		{name: "no kernel image", change: map[string]string{"boot/vmlinuz-6.1.0-50-cloud-amd64": ""}, want: []error{ErrNoKernel}},
		{name: "kernel without modules.dep", change: map[string]string{"usr/lib/modules/6.1.0-50-cloud-amd64/modules.dep": ""}, want: []error{ErrNoKernel}},
		{name: "modules of another kernel", change: map[string]string{"boot/vmlinuz-6.1.0-50-cloud-amd64": "", "boot/vmlinuz-6.2": "k"}, want: []error{ErrNoKernel}},
		{name: "no bootloader", change: map[string]string{"usr/lib/systemd/boot/efi/systemd-bootx64.efi": ""}, want: []error{ErrNoBootloader}},
		{name: "no ignition", change: map[string]string{"usr/lib/dracut/modules.d/30ignition/ignition": ""}, want: []error{ErrNoIgnition}},
		{name: "all missing", change: map[string]string{
			"boot/vmlinuz-6.1.0-50-cloud-amd64": "", "usr/lib/systemd/systemd": "",
			"usr/lib/systemd/boot/efi/systemd-bootx64.efi": "", "usr/lib/dracut/modules.d/30ignition/ignition": "",
		}, want: all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := bootable()
			for k, v := range tc.change {
				if v == "" {
					delete(tree, k)
				} else {
					tree[k] = v
				}
			}
			dir := t.TempDir()
			writeTree(t, dir, tree)
			err := Check(dir)
			if (err == nil) != (len(tc.want) == 0) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
			for _, s := range all {
				if errors.Is(err, s) != containsErr(tc.want, s) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, !containsErr(tc.want, s))
				}
			}
		})
	}
}

// TestCheckResolvesInTree: an absolute /sbin/init link must resolve in the
// tree, not to the host's /lib/systemd/systemd or /bin/sh.
func TestCheckResolvesInTree(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Fatalf("the host needs /bin/sh for this test: %v", err)
	}
	tree := bootable()
	delete(tree, "usr/lib/systemd/systemd")
	tree["usr/sbin/init"] = "->/bin/sh"
	dir := t.TempDir()
	writeTree(t, dir, tree)
	if err := Check(dir); !errors.Is(err, ErrNoSystemd) {
		t.Fatalf("Check = %v, want ErrNoSystemd", err)
	}
}

func containsErr(errs []error, e error) bool {
	for _, x := range errs {
		if x == e {
			return true
		}
	}
	return false
}
