package rootfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDebianKey(t *testing.T) {
	base := Debian{Suite: "bookworm", Mirror: "http://deb.debian.org/debian", Arch: "amd64", Packages: []string{"vim", "curl"}}
	key := DebianKey(base, "sha256:aa", "sha256:bb")
	if len(key) != 64 || strings.Trim(key, "0123456789abcdef") != "" {
		t.Fatalf("key %q is not 64 hex digits", key)
	}
	for _, tc := range []struct {
		name    string
		d       Debian
		digests []string
		same    bool
	}{
		{name: "same inputs", d: base, digests: []string{"sha256:aa", "sha256:bb"}, same: true},
		{name: "order of packages and digests", d: with(base, func(d *Debian) { d.Packages = []string{"curl", "vim"} }), digests: []string{"sha256:bb", "sha256:aa"}, same: true},
		{name: "defaults spelled out", d: with(base, func(d *Debian) { d.Suite, d.Arch = "", "" }), digests: []string{"sha256:aa", "sha256:bb"}, same: true},
		{name: "a default package repeated", d: with(base, func(d *Debian) { d.Packages = append(d.Packages, "systemd") }), digests: []string{"sha256:aa", "sha256:bb"}, same: true},
		{name: "local deb paths are not keyed", d: with(base, func(d *Debian) { d.LocalDebs = []string{"/x/a.deb"} }), digests: []string{"sha256:aa", "sha256:bb"}, same: true},
		{name: "suite", d: with(base, func(d *Debian) { d.Suite = "trixie" }), digests: []string{"sha256:aa", "sha256:bb"}},
		{name: "mirror", d: with(base, func(d *Debian) { d.Mirror = "http://other/debian" }), digests: []string{"sha256:aa", "sha256:bb"}},
		{name: "arch", d: with(base, func(d *Debian) { d.Arch = "arm64" }), digests: []string{"sha256:aa", "sha256:bb"}},
		{name: "packages", d: with(base, func(d *Debian) { d.Packages = []string{"vim"} }), digests: []string{"sha256:aa", "sha256:bb"}},
		{name: "local deb content", d: base, digests: []string{"sha256:aa", "sha256:cc"}},
		{name: "no local debs", d: base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DebianKey(tc.d, tc.digests...); (got == key) != tc.same {
				t.Fatalf("DebianKey = %s, base %s; want same = %v", got, key, tc.same)
			}
		})
	}
}

func with(d Debian, f func(*Debian)) Debian {
	f(&d)
	return d
}

// TestDebDigests compares with sha256sum.
func TestDebDigests(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.deb"), filepath.Join(dir, "b.deb")
	os.WriteFile(a, []byte("first"), 0o644)
	os.WriteFile(b, []byte("second"), 0o644)
	got, err := DebDigests(a, b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sha256sum", a, b).Output()
	if err != nil {
		t.Fatalf("running sha256sum (coreutils): %v", err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if want := "sha256:" + strings.Fields(line)[0]; got[i] != want {
			t.Errorf("digest %d = %s, sha256sum says %s", i, got[i], want)
		}
	}
	if _, err := DebDigests(filepath.Join(dir, "missing.deb")); err == nil {
		t.Error("DebDigests of a missing file succeeded")
	}
}
