package e2e

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackagedArchitectures unpacks each binary package with dpkg-deb and
// checks every ELF file inside is built for the package's architecture:
// the arm64 packages of kubectl, kubernetes-cni and slipway-node really
// hold aarch64 binaries, the amd64 ones x86-64. The rpms carry the same
// architectures in their headers.
func TestPackagedArchitectures(t *testing.T) {
	needTools(t, "dpkg-deb", "rpm")
	f := release(t)
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	rpmArch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}
	seen := map[string]int{}
	for _, a := range f.artifacts {
		p := filepath.Join(f.repo, "v1.33", a.Format, a.File)
		if a.Format == "rpm" {
			if got := must(t, nil, "rpm", "-qp", "--qf", "%{ARCH}", p); got != rpmArch[a.Arch] {
				t.Errorf("%s: rpm arch %s, want %s", a.File, got, rpmArch[a.Arch])
			}
			continue
		}
		dir := t.TempDir()
		must(t, nil, "dpkg-deb", "-x", p, dir)
		n := checkELFs(t, dir, machines[a.Arch], a.File)
		if n == 0 {
			t.Errorf("%s holds no ELF binary", a.File)
		}
		seen[a.Arch] += n
	}
	for _, arch := range []string{"amd64", "arm64"} {
		if seen[arch] == 0 {
			t.Errorf("no %s binaries checked", arch)
		}
	}
	t.Logf("ELF binaries checked: %v", seen)
}

// checkELFs opens every regular file under dir as ELF and checks its
// machine, returning how many ELF files it found.
func checkELFs(t *testing.T, dir string, want elf.Machine, pkg string) int {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		e, err := elf.Open(p)
		if err != nil {
			return nil // not ELF: unit files, config
		}
		defer e.Close()
		n++
		if e.Machine != want {
			t.Errorf("%s: %s is %s, want %s", pkg, strings.TrimPrefix(p, dir), e.Machine, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
