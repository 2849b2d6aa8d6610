package early

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDetectFS makes each filesystem with its real tool.
func TestDetectFS(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "etc", "hostname"), []byte("node\n"), 0o644)
	img := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		want string
		cmd  []string
	}{
		{"squashfs", []string{"mksquashfs", src, img("squashfs"), "-quiet", "-noappend"}},
		{"erofs", []string{"mkfs.erofs", "--quiet", img("erofs"), src}},
		{"ext4", []string{"sh", "-c", "truncate -s 8M " + img("ext4") + " && mkfs.ext4 -q -F " + img("ext4")}},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if _, err := exec.LookPath(tc.cmd[0]); err != nil {
				t.Fatalf("%s is needed (apt-get install squashfs-tools erofs-utils e2fsprogs): %v", tc.cmd[0], err)
			}
			if out, err := exec.Command(tc.cmd[0], tc.cmd[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", tc.cmd, err, out)
			}
			f, err := os.Open(img(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got, err := DetectFS(f); err != nil || got != tc.want {
				t.Errorf("DetectFS = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestDetectFSUnknown(t *testing.T) {
	for name, data := range map[string][]byte{"zeros": make([]byte, 4096), "short": []byte("hsq")} {
		if _, err := DetectFS(bytes.NewReader(data)); !errors.Is(err, ErrUnknownFS) {
			t.Errorf("%s: err = %v, want ErrUnknownFS", name, err)
		}
	}
}
