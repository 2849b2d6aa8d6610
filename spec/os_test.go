package spec

import "testing"

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512Mi", 512 << 20, true}, {"2Gi", 2 << 30, true}, {"4096", 4096, true}, {"1Ti", 1 << 40, true},
		{"2GB", 0, false}, {"0Mi", 0, false}, {"-1Gi", 0, false}, {"", 0, false}, {"99999999999Ti", 0, false},
	} {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestNodeOSDefaults(t *testing.T) {
	r := &Release{Spec: ReleaseSpec{Version: "1.2.3"}}
	o := r.NodeOS()
	if o.Version != "1.2.3" || o.Rootfs.Debian == nil || o.Rootfs.Debian.Suite != "bookworm" ||
		o.Disk.ESP != "512Mi" || o.Disk.Slot != "2Gi" || o.Disk.State != "1Gi" || o.Disk.SlotFilesystem != "squashfs" ||
		len(o.Disk.Formats) != 1 || o.Disk.Formats[0] != "raw" {
		t.Fatalf("defaults: %+v", o)
	}
	r.Spec.OS = &OS{Rootfs: Rootfs{Image: "./os"}}
	if o := r.NodeOS(); o.Rootfs.Debian != nil {
		t.Fatal("an image rootfs got a Debian default too")
	}
}
