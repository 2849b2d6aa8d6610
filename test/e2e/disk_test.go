package e2e

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDiskImageLayout: `slipway disk inspect`, sgdisk and mtools agree on
// the built image: partitions (labels, type GUIDs, start, size), the ESP's
// files, and the entry's kernel and initrd exist where it says. Building
// again from the same inputs gives the same bytes, raw and qcow2.
func TestDiskImageLayout(t *testing.T) {
	fx := theNodeOS(t)
	needTools(t, "sgdisk", "mdir", "qemu-img")
	info := inspectDisk(t, fx.image)
	out := must(t, nil, "sgdisk", "-p", fx.image)
	row := regexp.MustCompile(`(?m)^\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+(\S+)\s+(\S+)\s*$`)
	rows := row.FindAllStringSubmatch(out, -1)
	if len(rows) != 4 || len(info.Partitions) != 4 {
		t.Fatalf("sgdisk sees %d partitions, disk inspect %d:\n%s", len(rows), len(info.Partitions), out)
	}
	for i, r := range rows {
		p := info.Partitions[i]
		start, _ := strconv.ParseInt(r[2], 10, 64)
		end, _ := strconv.ParseInt(r[3], 10, 64)
		if r[5] != p.Label || start*512 != p.Start || (end-start+1)*512 != p.Size {
			t.Errorf("partition %s: sgdisk %s at sector %d, %d sectors; inspect %s at %d bytes, %d bytes", r[1], r[5], start, end-start+1, p.Label, p.Start, p.Size)
		}
	}
	wantLabels := []string{"esp", "slipway-a", "slipway-b", "slipway-state"}
	for i, l := range wantLabels {
		if info.Partitions[i].Label != l {
			t.Errorf("partition %d is %q, want %q", i+1, info.Partitions[i].Label, l)
		}
	}
	esp := fmt.Sprintf("%s@@%d", fx.image, info.Partitions[0].Start)
	listing := must(t, nil, "mdir", "-i", esp, "-/", "-b", "::/")
	for _, f := range info.Files {
		if !strings.Contains(strings.ToLower(listing), strings.ToLower("::/"+strings.TrimPrefix(f.Path, "/"))) {
			t.Errorf("disk inspect lists %s, mtools does not:\n%s", f.Path, listing)
		}
	}
	if len(info.Entries) != 1 || info.Default == nil || info.Entries[0].Slot != "a" || !info.Entries[0].Blessed {
		t.Fatalf("entries: %+v default %+v; want one blessed entry for slot a, the default", info.Entries, info.Default)
	}
	for _, p := range []string{info.Entries[0].Entry.Linux, info.Entries[0].Entry.Initrd} {
		if !strings.Contains(strings.ToLower(listing), strings.ToLower("::"+p)) {
			t.Errorf("the entry boots %s, which is not on the ESP:\n%s", p, listing)
		}
	}
	if loader := must(t, nil, "mtype", "-i", esp, "::/loader/loader.conf"); !strings.Contains(loader, "default slipway-*") {
		t.Errorf("loader.conf:\n%s", loader)
	}

	again := filepath.Join(t.TempDir(), "again")
	r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "disk", "build", "-f", fx.spec, "-o", again, "--cache-dir", fx.cache)
	if r.code != 0 {
		t.Fatalf("disk build again: exit %d\n%s", r.code, r.stderr)
	}
	for _, ext := range []string{".raw", ".qcow2"} {
		a := strings.TrimSuffix(fx.image, ".raw") + ext
		b := filepath.Join(again, filepath.Base(a))
		if fileSHA256(t, a) != fileSHA256(t, b) {
			t.Errorf("%s differs between two builds of the same inputs", filepath.Base(a))
		}
	}
	if out, err := exec.Command("qemu-img", "check", strings.TrimSuffix(fx.image, ".raw")+".qcow2").CombinedOutput(); err != nil {
		t.Errorf("qemu-img check: %v\n%s", err, out)
	}
}

// TestDiskBadInput: root filesystems that cannot boot (no kernel, no
// systemd-boot, no Ignition), a slot too small for the OS, and a corrupt
// OS image layer are each refused with the reason, and no image is left.
func TestDiskBadInput(t *testing.T) {
	fx := theNodeOS(t)
	tree := func(t *testing.T, drop ...string) string {
		dir := filepath.Join(t.TempDir(), "root")
		for _, f := range []string{"boot/vmlinuz-6.1.0-1-amd64", "usr/lib/modules/6.1.0-1-amd64/modules.dep",
			"usr/lib/systemd/systemd", "usr/lib/systemd/boot/efi/systemd-bootx64.efi",
			"usr/lib/dracut/modules.d/30ignition/ignition", "usr/lib/os-release"} {
			skip := false
			for _, d := range drop {
				skip = skip || strings.HasPrefix(f, d)
			}
			if skip {
				continue
			}
			os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
			writeFile(t, filepath.Join(dir, f), "x")
		}
		os.MkdirAll(filepath.Join(dir, "sbin"), 0o755)
		os.Symlink("/usr/lib/systemd/systemd", filepath.Join(dir, "sbin", "init"))
		return dir
	}
	corrupt := corruptOSImage(t)
	cases := []struct {
		name, os string
		want     []string
	}{
		{"no kernel", "rootfs: {directory: " + tree(t, "boot/", "usr/lib/modules") + "}", []string{"no kernel"}},
		{"no systemd-boot", "rootfs: {directory: " + tree(t, "usr/lib/systemd/boot") + "}", []string{"systemd-boot"}},
		{"no ignition", "rootfs: {directory: " + tree(t, "usr/lib/dracut") + "}", []string{"Ignition"}},
		{"nothing bootable", "rootfs: {directory: " + tree(t, "boot/", "usr/") + "}", []string{"no kernel", "systemd-boot", "Ignition"}},
		{"slot too small", "disk: {slot: 16Mi}", []string{"slot a", "the slot is 16 MiB", "raise spec.os.disk.slot"}},
		{"corrupt OS image layer", "rootfs: {image: " + corrupt + "}", []string{"sha256"}},
	}
	spec, err := os.ReadFile(fx.spec)
	if err != nil {
		t.Fatal(err)
	}
	base := strings.Split(string(spec), "  os:\n")[0]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "release.yaml")
			writeFile(t, p, base+"  os:\n    version: 1.0.0\n    "+c.os+"\n")
			out := filepath.Join(dir, "out")
			r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "disk", "build", "-f", p, "-o", out, "--cache-dir", fx.cache)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, tail(r.stderr))
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a failed build left %s", out)
			}
		})
	}
}

// corruptOSImage writes an OS image layout whose layer blob has one byte
// flipped, and returns its path.
func corruptOSImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	noise := make([]byte, 256<<10)
	rand.Read(noise)
	writeFile(t, filepath.Join(root, "etc", "os-release"), "ID=test\n")
	writeFile(t, filepath.Join(root, "etc", "noise"), string(noise))
	layout := filepath.Join(dir, "os")
	if r := slipway(t, []string{"SOURCE_DATE_EPOCH=1"}, "images", "os", "pack", root, "--version", "1", "-o", dir, "--name", "os", "--cache-dir", filepath.Join(dir, "c")); r.code != 0 {
		t.Fatalf("images os pack: %s", r.stderr)
	}
	blobs, _ := filepath.Glob(filepath.Join(layout, "blobs", "sha256", "*"))
	var biggest string
	var size int64
	for _, b := range blobs {
		if st, _ := os.Stat(b); st.Size() > size {
			biggest, size = b, st.Size()
		}
	}
	b, _ := os.ReadFile(biggest)
	b[len(b)/2] ^= 0xff
	os.Chmod(biggest, 0o644)
	writeFile(t, biggest, string(b))
	return layout
}

// TestDiskFromOSImage: the node OS tree packed as an OCI image (`images os
// pack`) and used as spec.os.rootfs.image gives a slot filesystem
// bit-identical to the one built from Debian packages: the OS image is
// the OS.
func TestDiskFromOSImage(t *testing.T) {
	fx := theNodeOS(t)
	dir := t.TempDir()
	env := []string{"SOURCE_DATE_EPOCH=1700000000"}
	if r := slipway(t, env, "images", "os", "pack", fx.rootfs, "--version", "1.0.0", "-o", filepath.Join(dir, "os"), "--cache-dir", fx.cache); r.code != 0 {
		t.Fatalf("images os pack: exit %d\n%s", r.code, r.stderr)
	}
	spec, err := os.ReadFile(fx.spec)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "release.yaml")
	writeFile(t, p, strings.Split(string(spec), "  os:\n")[0]+"  os:\n    version: 1.0.0\n    rootfs: {image: ./os/slipway-os}\n    disk: {esp: 128Mi, slot: 1Gi, state: 256Mi}\n")
	r := slipway(t, env, "disk", "build", "-f", p, "-o", filepath.Join(dir, "disk"), "--cache-dir", fx.cache, "--json")
	if r.code != 0 {
		t.Fatalf("disk build from the OS image: exit %d\n%s", r.code, r.stderr)
	}
	var built diskBuild
	if err := json.Unmarshal([]byte(r.stdout), &built); err != nil {
		t.Fatal(err)
	}
	if built.Rootfs == fx.rootfs {
		t.Fatal("the image source reused the Debian tree's cache entry: nothing was unpacked")
	}
	if built.Disk.Slot.Digest != fx.slot {
		t.Fatalf("slot from the OS image %s, from Debian packages %s", built.Disk.Slot.Digest, fx.slot)
	}
}
