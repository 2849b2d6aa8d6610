package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadDebCompressions reads the control file of .debs built by the real
// dpkg-deb with every control.tar compression it offers.
func TestReadDebCompressions(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "DEBIAN"), 0o755); err != nil {
		t.Fatal(err)
	}
	control := "Package: dpkg-made\nVersion: 2:3.4-5\nArchitecture: all\nMaintainer: T <t@slipway.invalid>\n" +
		"Description: made by dpkg-deb\n Second line.\n"
	writeFile(t, filepath.Join(src, "DEBIAN", "control"), []byte(control))
	for _, c := range []struct{ flag, member string }{
		{"gzip", "control.tar.gz"}, {"xz", "control.tar.xz"}, {"zstd", "control.tar.zst"}, {"none", "control.tar"},
	} {
		t.Run(c.flag, func(t *testing.T) {
			deb := filepath.Join(t.TempDir(), "p.deb")
			mustRun(t, "", "dpkg-deb", "--root-owner-group", "-Z"+c.flag, "--build", src, deb)
			if members := mustRun(t, "", "ar", "t", deb); !strings.Contains(members, c.member+"\n") {
				t.Fatalf("dpkg-deb -Z%s wrote members %q, want %s", c.flag, members, c.member)
			}
			d, err := readDeb(deb)
			if err != nil {
				t.Fatalf("readDeb: %v", err)
			}
			if got := d.control.get("version"); got != "2:3.4-5" {
				t.Errorf("Version = %q", got)
			}
			if got := d.control.get("Description"); got != "made by dpkg-deb\n Second line." {
				t.Errorf("Description = %q", got)
			}
		})
	}
}

func TestReadDebRejectsNonDebs(t *testing.T) {
	cases := map[string]string{
		"not ar":     "hello",
		"no control": "!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n",
		"bad size":   "!<arch>\ncontrol.tar.gz  0           0     0     100644  999       `\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.deb")
			writeFile(t, p, []byte(data))
			if _, err := readDeb(p); err == nil {
				t.Error("readDeb accepted it")
			}
		})
	}
}
