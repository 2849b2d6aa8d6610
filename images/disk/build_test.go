package disk

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/node/boot"
)

func TestBuildPartitionsMatchSgdisk(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "sgdisk")
	img, res := buildImage(t, fixture(t))
	out := cmd(t, nil, "sgdisk", "-v", img)
	if !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	wantLabels := []string{boot.LabelESP, boot.LabelSlotA, boot.LabelSlotB, boot.LabelState}
	if len(res.Partitions) != len(wantLabels) {
		t.Fatalf("partitions %+v", res.Partitions)
	}
	disk := cmd(t, nil, "sgdisk", "-p", img)
	if !strings.Contains(disk, "Disk identifier (GUID): "+res.DiskGUID) {
		t.Errorf("disk GUID %s not in\n%s", res.DiskGUID, disk)
	}
	for i, p := range res.Partitions {
		if p.Label != wantLabels[i] || p.Number != i+1 || p.Start%MiB != 0 {
			t.Errorf("partition %d: %+v", i+1, p)
		}
		info := cmd(t, nil, "sgdisk", "-i", strconv.Itoa(p.Number), img)
		for _, want := range []string{
			"Partition GUID code: " + p.Type,
			"Partition unique GUID: " + p.GUID,
			fmt.Sprintf("First sector: %d ", p.Start/512),
			fmt.Sprintf("Last sector: %d ", (p.Start+p.Size)/512-1),
			"Partition name: '" + p.Label + "'",
		} {
			if !strings.Contains(info, want) {
				t.Errorf("sgdisk -i %d: no %q in\n%s", p.Number, want, info)
			}
		}
	}
}

func TestBuildESPFiles(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "mdir", "mtype", "mcopy", "fsck.fat")
	in := fixture(t)
	in.Ignition = []byte(`{"ignition":{"version":"3.3.0"}}`)
	img, res := buildImage(t, in)
	esp := mtoolsImg(img, partition(t, res.Partitions, boot.LabelESP))
	env := []string{"MTOOLS_SKIP_CHECK=1"}
	entry := cmd(t, env, "mtype", "-i", esp, "::/loader/entries/slipway-a.conf")
	want := "title slipway 1.2.3 (slot a)\nversion 1.2.3\nsort-key slipway\nlinux /slipway/a/vmlinuz\n" +
		"initrd /slipway/a/initrd\noptions slipway.slot=a console=tty0 console=ttyS0,115200n8\n"
	if entry != want {
		t.Errorf("slipway-a.conf:\n%s\nwant:\n%s", entry, want)
	}
	if got := cmd(t, env, "mtype", "-i", esp, "::/loader/loader.conf"); got != "default slipway-*\ntimeout 0\n" {
		t.Errorf("loader.conf: %q", got)
	}
	if got := cmd(t, env, "mtype", "-i", esp, "::/slipway/config.ign"); got != string(in.Ignition) {
		t.Errorf("config.ign: %q", got)
	}
	for esppath, src := range map[string]string{
		"EFI/BOOT/BOOTX64.EFI": sdboot, "EFI/systemd/systemd-bootx64.efi": sdboot,
		"slipway/a/vmlinuz": in.Kernel, "slipway/a/initrd": in.Initrd,
	} {
		out := t.TempDir() + "/f"
		cmd(t, env, "mcopy", "-i", esp, "::/"+esppath, out)
		if fileDigest(t, out) != fileDigest(t, src) {
			t.Errorf("%s differs from %s", esppath, src)
		}
	}
	listing := cmd(t, env, "mdir", "-i", esp, "::/EFI/BOOT")
	if !strings.Contains(listing, "BOOTX64  EFI") || !strings.Contains(listing, "2024-01-02   3:04") {
		t.Errorf("mdir EFI/BOOT (want BOOTX64.EFI stamped 2024-01-02 3:04):\n%s", listing)
	}
	s := seed{"1.2.3", testEpoch}.serial("esp serial")
	serial := fmt.Sprintf("Volume Serial Number is %04X-%04X", s>>16, s&0xffff)
	if !strings.Contains(listing, serial) {
		t.Errorf("mdir: no %q in\n%s", serial, listing)
	}
	p := partition(t, res.Partitions, boot.LabelESP)
	fsck := cmd(t, nil, "fsck.fat", "-n", "-v", extract(t, img, p.Start, p.Size))
	if strings.Contains(fsck, "Free cluster summary wrong") || strings.Contains(fsck, "lost") {
		t.Errorf("fsck.fat:\n%s", fsck)
	}
}

func TestBuildSlotKeepsOwnersAndModes(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "unsquashfs")
	img, res := buildImage(t, fixture(t))
	p := partition(t, res.Partitions, boot.LabelSlotA)
	out := cmd(t, nil, "unsquashfs", "-o", strconv.FormatInt(p.Start, 10), "-lln", img)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`drwxr-xr-x 1000/1001 .* 2024-01-02 03:04 squashfs-root/var/lib/app\n`),
		regexp.MustCompile(`-rw-r----- 1000/1001 +6 2024-01-02 03:04 squashfs-root/var/lib/app/data\n`),
		regexp.MustCompile(`-rwsr-xr-x 0/0 .* squashfs-root/usr/bin/tool\n`),
		regexp.MustCompile(`lrwxrwxrwx 0/0 .* squashfs-root/etc/dangling -> \.\./nowhere\n`),
		regexp.MustCompile(`lrwxrwxrwx 0/0 .* squashfs-root/bin -> usr/bin\n`),
	} {
		if !want.MatchString(out) {
			t.Errorf("unsquashfs -lln: no match for %s in\n%s", want, out)
		}
	}
	if res.Slot.FS != FSSquashfs || res.Slot.Size <= 0 || res.Slot.Size%4096 != 0 || !strings.HasPrefix(res.Slot.Digest, "sha256:") {
		t.Errorf("slot %+v", res.Slot)
	}
}

func TestBuildStateIsCleanExt4(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4", "e2fsck", "dumpe2fs", "debugfs")
	img, res := buildImage(t, fixture(t))
	p := partition(t, res.Partitions, boot.LabelState)
	state := extract(t, img, p.Start, p.Size)
	cmd(t, nil, "e2fsck", "-fn", state)
	hdr := cmd(t, nil, "dumpe2fs", "-h", state)
	uuid := strings.ToLower(seed{"1.2.3", testEpoch}.uuid("ext4 state"))
	for _, want := range []string{"Filesystem volume name:   slipway-state", "Filesystem UUID:          " + uuid,
		"Last write time:          Tue Jan  2 03:04:06 2024", fmt.Sprintf("Block count:              %d", p.Size/4096)} {
		if !strings.Contains(hdr, want) {
			t.Errorf("dumpe2fs -h: no %q in\n%s", want, hdr)
		}
	}
	ls := cmd(t, nil, "debugfs", "-R", "ls -p /", state)
	if strings.Count(ls, "/0/0/") != 3 || !strings.Contains(ls, "/lost+found/") {
		t.Errorf("STATE root holds more than lost+found:\n%s", ls)
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	in := fixture(t)
	a, _ := buildImage(t, in)
	b, _ := buildImage(t, fixture(t))
	if fileDigest(t, a) != fileDigest(t, b) {
		t.Fatal("two builds of the same input differ")
	}
	in.Epoch = in.Epoch.Add(2e9)
	c, _ := buildImage(t, in)
	if fileDigest(t, a) == fileDigest(t, c) {
		t.Fatal("a changed epoch gives the same image")
	}
}

func TestBuildIsSparse(t *testing.T) {
	requireTools(t, "mksquashfs", "mkfs.ext4")
	_, res := buildImage(t, fixture(t))
	if res.Allocated <= 0 || res.Allocated > res.Size/4 {
		t.Errorf("allocated %d of %d bytes", res.Allocated, res.Size)
	}
	if _, err := os.Stat(res.Path); err != nil {
		t.Fatal(err)
	}
}
