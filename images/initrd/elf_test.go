package initrd

import (
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestElfDepsMatchesLdd resolves the host's own binaries with "/" as the
// root filesystem and compares with what the real loader reports.
func TestElfDepsMatchesLdd(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Fatalf("ldd (libc-bin) is needed: %v", err)
	}
	for _, bin := range []string{"/usr/bin/ls", "/usr/bin/tar", "/usr/sbin/sgdisk", "/usr/bin/qemu-img"} {
		t.Run(path.Base(bin), func(t *testing.T) {
			if _, err := os.Stat(bin); err != nil {
				t.Fatalf("%s is needed: %v", bin, err)
			}
			libs, err := elfDeps("/", bin)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range libs {
				got = append(got, path.Base(l.Path))
				if st, err := os.Lstat(l.Source); err != nil || !st.Mode().IsRegular() {
					t.Errorf("%s: source %s is not a regular file", l.Path, l.Source)
				}
			}
			if want := lddNames(t, bin); !reflect.DeepEqual(sorted(got), want) {
				t.Errorf("libraries\n got %q\nwant %q (ldd)", sorted(got), want)
			}
		})
	}
}

// lddNames lists the file names ldd resolves, loader included, sorted.
func lddNames(t *testing.T, bin string) []string {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[1] == "=>":
			names = append(names, f[0])
		case len(f) == 2 && strings.HasPrefix(f[0], "/"):
			names = append(names, path.Base(f[0]))
		}
	}
	return sorted(names)
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func TestElfDepsStaticAndMissing(t *testing.T) {
	if libs, err := elfDeps("/", "/sbin/ldconfig"); err != nil || len(libs) != 0 {
		t.Errorf("static ldconfig: %v, %v", libs, err)
	}
	if err := checkStatic("/sbin/ldconfig"); err != nil {
		t.Errorf("checkStatic(ldconfig): %v", err)
	}
	if err := checkStatic("/usr/bin/ls"); !errors.Is(err, ErrNotStatic) {
		t.Errorf("checkStatic(ls) = %v, want ErrNotStatic", err)
	}
	// A root filesystem with the loader but none of the libraries.
	root := t.TempDir()
	loader, _ := filepath.EvalSymlinks("/lib64/ld-linux-x86-64.so.2")
	copyTo(t, loader, filepath.Join(root, "lib64/ld-linux-x86-64.so.2"))
	_, err := elfDeps(root, "/usr/bin/ls")
	if !errors.Is(err, ErrLibraryNotFound) || !strings.Contains(err.Error(), "libselinux.so.1, libc.so.6") {
		t.Errorf("err = %v, want ErrLibraryNotFound naming libselinux.so.1, libc.so.6", err)
	}
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(src)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}
