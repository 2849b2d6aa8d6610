package initrd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindKernel(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   []string
		version string
		path    string
		err     string
	}{
		{"modules dir", []string{"usr/lib/modules/6.1.0-56-cloud-amd64/modules.dep", "usr/lib/modules/6.1.0-56-cloud-amd64/vmlinuz"},
			"6.1.0-56-cloud-amd64", "usr/lib/modules/6.1.0-56-cloud-amd64/vmlinuz", ""},
		{"boot", []string{"usr/lib/modules/6.1.0-56-amd64/modules.dep", "boot/vmlinuz-6.1.0-56-amd64", "boot/config-6.1.0-56-amd64"},
			"6.1.0-56-amd64", "usr/lib/modules/../../../boot/vmlinuz-6.1.0-56-amd64", ""},
		{"none", []string{"usr/lib/modules/6.1.0-56-amd64/modules.dep"}, "", "", "no kernel"},
		{"several", []string{"boot/vmlinuz-6.1.0-55-amd64", "boot/vmlinuz-6.1.0-56-amd64"}, "", "", "6.1.0-55-amd64, 6.1.0-56-amd64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			// Debian's merged /usr: /lib is a symlink.
			if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				writeFile(t, filepath.Join(root, f), "x")
			}
			k, err := FindKernel(root)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if tc.name == "none" && !errors.Is(err, ErrNoKernel) {
					t.Errorf("err = %v, want ErrNoKernel", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Version != tc.version || k.Path != filepath.Join(root, filepath.Clean(tc.path)) {
				t.Errorf("got %+v, want %s at %s", k, tc.version, tc.path)
			}
		})
	}
}
