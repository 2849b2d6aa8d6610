package rootfs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/testutil"
)

var resolved = Debian{Suite: "bookworm", Mirror: "http://deb.debian.org/debian", Arch: "amd64"}

func TestMmdebstrapArgs(t *testing.T) {
	got := mmdebstrapArgs(resolved, &debianOptions{}, "/out/.root.mmdebstrap-1", nil)
	want := []string{
		"--mode=unshare", "--variant=apt", "--format=directory", "--architectures=amd64", "--components=main",
		`--aptopt=Apt::Install-Recommends "false"`,
		"--dpkgopt=path-exclude=/usr/share/man/*",
		"--dpkgopt=path-exclude=/usr/share/info/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*",
		"--dpkgopt=path-include=/usr/share/locale/locale.alias",
		"--dpkgopt=path-exclude=/usr/share/doc/*",
		"--dpkgopt=path-include=/usr/share/doc/*/copyright",
		"--include=systemd,systemd-sysv,udev,dbus,systemd-resolved,systemd-timesyncd,systemd-boot,systemd-boot-efi," +
			"linux-image-cloud-amd64,kmod,containerd,runc,iptables,conntrack,ignition,policycoreutils,passwd,e2fsprogs," +
			"iproute2,netbase,ca-certificates",
		"--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
		`--setup-hook=mkdir -p "$1/etc" && printf 'do_symlinks = no\n' > "$1/etc/kernel-img.conf"`,
		`--essential-hook=dpkg-divert --root "$1" --quiet --local --rename --divert /usr/sbin/update-initramfs.slipway --add /usr/sbin/update-initramfs && ` +
			`printf '#!/bin/sh\necho "update-initramfs: disabled, slipway builds its own initramfs" >&2\n' > "$1/usr/sbin/update-initramfs" && ` +
			`chmod 0755 "$1/usr/sbin/update-initramfs"`,
		`--customize-hook=rm -f "$1"/boot/initrd.img* "$1/etc/hostname" && { [ -L "$1/etc/resolv.conf" ] || rm -f "$1/etc/resolv.conf"; }`,
		"--skip=essential/unlink",
		"--", "bookworm", "/out/.root.mmdebstrap-1", "http://deb.debian.org/debian",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("argv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if env := mmdebstrapEnv(&debianOptions{}); env != nil {
		t.Errorf("env without an epoch = %q", env)
	}
}

func TestMmdebstrapArgsVariants(t *testing.T) {
	for _, tc := range []struct {
		name      string
		d         Debian
		o         debianOptions
		debs      []string
		has, hasn []string // argv elements present / absent
		env       []string
	}{
		{
			name: "deb cache, quoted for mmdebstrap's special hooks",
			d:    resolved, o: debianOptions{cache: "/var/cache/slip way's"},
			has: []string{
				`--setup-hook=mkdir -p "$1/var/cache/apt/archives"`,
				`--setup-hook=sync-in '/var/cache/slip way'\''s' /var/cache/apt/archives`,
				`--customize-hook=sync-out /var/cache/apt/archives '/var/cache/slip way'\''s'`,
			},
		},
		{
			name: "local debs, one include each, automounted",
			d:    with(resolved, func(d *Debian) { d.Packages = []string{"vim", "systemd"} }),
			debs: []string{"/tmp/slipway-debs-1/00-slipway_1.0_amd64.deb", "/tmp/slipway-debs-1/01-kubelet.deb"},
			has: []string{
				"--include=/tmp/slipway-debs-1/00-slipway_1.0_amd64.deb", "--include=/tmp/slipway-debs-1/01-kubelet.deb",
				"--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount",
			},
			hasn: []string{"--setup-hook=sync-in"},
		},
		{
			name: "arm64 trixie",
			d:    Debian{Suite: "trixie", Mirror: "https://m/debian", Arch: "arm64"},
			has:  []string{"--architectures=arm64", "trixie", "https://m/debian"},
			hasn: []string{"--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount"},
		},
		{
			name: "source date epoch",
			d:    resolved, o: debianOptions{epoch: ptr(time.Unix(1700000000, 0))},
			env: []string{"SOURCE_DATE_EPOCH=1700000000"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mmdebstrapArgs(tc.d, &tc.o, "/t", tc.debs)
			for _, h := range tc.has {
				if !slices.Contains(got, h) {
					t.Errorf("argv lacks %q:\n%s", h, strings.Join(got, "\n"))
				}
			}
			for _, h := range tc.hasn {
				if slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, h) }) {
					t.Errorf("argv has %q", h)
				}
			}
			if inc := includeOf(got); !strings.HasPrefix(inc, strings.Join(DefaultPackages(tc.d.Arch), ",")) {
				t.Errorf("include %q does not start with the default packages", inc)
			}
			if env := mmdebstrapEnv(&tc.o); !slices.Equal(env, tc.env) {
				t.Errorf("env = %q, want %q", env, tc.env)
			}
		})
	}
}

func includeOf(argv []string) string {
	for _, a := range argv {
		if inc, ok := strings.CutPrefix(a, "--include="); ok && !strings.HasPrefix(inc, "/") {
			return inc
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

func TestPackages(t *testing.T) {
	d := Debian{Arch: "arm64", Packages: []string{"vim", "systemd", "vim"}}
	got := d.packages()
	if !slices.Contains(got, "linux-image-cloud-arm64") || slices.Contains(got, "linux-image-cloud-amd64") {
		t.Errorf("arm64 kernel missing: %v", got)
	}
	if got[len(got)-1] != "vim" || len(got) != len(DefaultPackages("arm64"))+1 {
		t.Errorf("packages = %v, want defaults then vim once", got)
	}
	if k := DefaultPackages("riscv64"); !slices.Contains(k, "linux-image-riscv64") {
		t.Errorf("riscv64 packages = %v", k)
	}
}

func TestResolveAndValidate(t *testing.T) {
	d, err := Debian{}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if d.Suite != DefaultSuite || d.Arch != DefaultArch || !strings.Contains(d.Mirror, "://") {
		t.Fatalf("Resolve = %+v", d)
	}
	if err := d.validate(); err != nil {
		t.Fatalf("resolved defaults do not validate: %v", err)
	}
	kept, _ := Debian{Mirror: "http://m/debian"}.Resolve()
	if kept.Mirror != "http://m/debian" {
		t.Errorf("Resolve replaced the mirror: %q", kept.Mirror)
	}
	bad := Debian{Suite: "Book worm", Arch: "amd64,arm64", Mirror: "/etc/apt/sources.list",
		Packages: []string{"ok", "a,b", "-rf"}, LocalDebs: []string{"testdata", "/nonexistent.deb"}}
	err = bad.validate()
	for _, want := range []string{`suite "Book worm"`, `arch "amd64,arm64"`, `mirror "/etc/apt/sources.list"`,
		`package "a,b"`, `package "-rf"`, `local package "testdata"`, `local package "/nonexistent.deb"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate error %v lacks %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), `"ok"`) {
		t.Errorf("validate refused a good package: %v", err)
	}
}

// stagingLeft lists what BuildDebian left beside dst.
func stagingLeft(t *testing.T, parent string) []string {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestBuildDebianRefusesExistingDst(t *testing.T) {
	dst := t.TempDir()
	err := BuildDebian(t.Context(), dst, Debian{Mirror: "http://127.0.0.1:9/debian"})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("BuildDebian into an existing directory = %v", err)
	}
}

// TestBuildDebianFailure runs the real mmdebstrap against a mirror that
// has no Release file: the error carries mmdebstrap's last lines, the log
// got its output, and nothing is left behind.
func TestBuildDebianFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	parent := t.TempDir()
	var log testutil.SyncBuffer
	err := BuildDebian(t.Context(), filepath.Join(parent, "root"), Debian{Mirror: srv.URL + "/debian"}, WithLog(&log))
	if err == nil || !strings.Contains(err.Error(), "does not have a Release file") {
		t.Fatalf("BuildDebian = %v, want mmdebstrap's apt error", err)
	}
	if !strings.Contains(log.String(), "I: running apt-get update") {
		t.Errorf("log lacks mmdebstrap's output:\n%s", log.String())
	}
	if left := stagingLeft(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestBuildDebianCancel cancels while apt waits on a mirror that never
// answers: BuildDebian returns promptly, apt's connection is closed (its
// process group was killed) and nothing is left behind.
func TestBuildDebianCancel(t *testing.T) {
	asked, gone := make(chan struct{}, 16), make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- struct{}{}
		<-r.Context().Done()
		gone <- struct{}{}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-asked; cancel() }()
	parent := t.TempDir()
	start := time.Now()
	err := BuildDebian(ctx, filepath.Join(parent, "root"), Debian{Mirror: srv.URL + "/debian"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("BuildDebian = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("cancellation took %s", d)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Error("apt's request to the mirror is still open: its process survived the cancellation")
	}
	if left := stagingLeft(t, parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestLineLog(t *testing.T) {
	var out strings.Builder
	l := &lineLog{w: &out}
	l.Write([]byte("I: one\nI: t"))
	l.Write([]byte("wo\n"))
	for i := range 30 {
		l.Write([]byte("line " + string(rune('a'+i%26)) + "\n"))
	}
	l.Write([]byte("E: last, unterminated"))
	l.Flush()
	if !strings.HasPrefix(out.String(), "I: one\nI: two\nline a\n") || !strings.HasSuffix(out.String(), "line d\nE: last, unterminated\n") {
		t.Errorf("log:\n%s", out.String())
	}
	if len(l.tail) != 20 || l.tail[19] != "E: last, unterminated" {
		t.Errorf("tail = %q", l.tail)
	}
}

func TestMountsUnder(t *testing.T) {
	if got := unescapeMountinfo(`/tmp/a\040b\011c\134d`); got != "/tmp/a b\tc\\d" {
		t.Errorf("unescape = %q", got)
	}
	if m, err := mountsUnder("/proc"); err != nil || !slices.Contains(m, "/proc") {
		t.Errorf("mountsUnder(/proc) = %v, %v; want /proc listed", m, err)
	}
	if m, err := mountsUnder(t.TempDir()); err != nil || len(m) != 0 {
		t.Errorf("mountsUnder(a fresh directory) = %v, %v", m, err)
	}
}

func TestStageLocalDebs(t *testing.T) {
	src := filepath.Join(t.TempDir(), "my pkg,1.0.deb")
	os.WriteFile(src, []byte("deb"), 0o600)
	got, cleanup, err := stageLocalDebs([]string{src})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "/tmp/slipway-debs-") || filepath.Base(got[0]) != "00-my_pkg_1.0.deb" {
		t.Fatalf("staged %v", got)
	}
	if b, err := os.ReadFile(got[0]); err != nil || string(b) != "deb" {
		t.Errorf("staged copy = %q, %v", b, err)
	}
	cleanup()
	if _, err := os.Stat(filepath.Dir(got[0])); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging directory survives cleanup: %v", err)
	}
}
