package disk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sdboot is the real systemd-boot binary from Debian's systemd-boot-efi.
const sdboot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

// testEpoch is the fixtures' SOURCE_DATE_EPOCH.
var testEpoch = time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)

// smallLayout keeps test images small; they are sparse anyway.
var smallLayout = Layout{ESP: 64 * MiB, Slot: 16 * MiB, State: 32 * MiB}

// requireTools fails the test, naming what is missing, unless every tool
// is on PATH.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s is needed by this test and is not on PATH: %v", n, err)
		}
	}
	if _, err := os.Stat(sdboot); err != nil {
		t.Fatalf("systemd-boot is needed by this test (apt-get install systemd-boot-efi): %v", err)
	}
}

// fixture makes a tiny rootfs (with owners, modes, links), fake kernel
// and initrd bytes, and returns an Input over them.
func fixture(t *testing.T) Input {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	mkTree(t, root)
	kernel, initrd := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "initrd")
	writeRandom(t, kernel, 1, 512<<10)
	writeRandom(t, initrd, 2, 768<<10)
	return Input{
		Rootfs: root, Kernel: kernel, Initrd: initrd, Bootloader: sdboot,
		Version: "1.2.3", Epoch: testEpoch, Layout: smallLayout,
	}
}

func mkTree(t *testing.T, root string) {
	t.Helper()
	for _, d := range []string{"etc", "usr/bin", "var/lib/app"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("node\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "usr/bin/tool"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	must(t, os.Chmod(filepath.Join(root, "usr/bin/tool"), 0o755|os.ModeSetuid))
	must(t, os.WriteFile(filepath.Join(root, "var/lib/app/data"), []byte("secret"), 0o640))
	must(t, os.Chown(filepath.Join(root, "var/lib/app/data"), 1000, 1001))
	must(t, os.Chown(filepath.Join(root, "var/lib/app"), 1000, 1001))
	must(t, os.Symlink("../nowhere", filepath.Join(root, "etc/dangling")))
	must(t, os.Symlink("usr/bin", filepath.Join(root, "bin")))
}

// writeRandom writes n deterministic pseudo-random bytes.
func writeRandom(t *testing.T, path string, seed int64, n int) {
	t.Helper()
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	must(t, os.WriteFile(path, b, 0o644))
}

// writeText writes n bytes of pseudo-random lowercase letters.
func writeText(t *testing.T, path string, n int) {
	t.Helper()
	b := make([]byte, n)
	rand.New(rand.NewSource(int64(n))).Read(b)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, b, 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// buildImage runs Build into a fresh directory and returns the image path.
func buildImage(t *testing.T, in Input, opts ...Option) (string, *Result) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.raw")
	res, err := Build(context.Background(), img, in, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img, res
}

// cmd runs a tool and returns its stdout, failing the test on error.
func cmd(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	must(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// extract copies n bytes at off of img into a new temp file.
func extract(t *testing.T, img string, off, n int64) string {
	t.Helper()
	src, err := os.Open(img)
	must(t, err)
	defer src.Close()
	dst, err := os.CreateTemp(t.TempDir(), "part-*")
	must(t, err)
	defer dst.Close()
	_, err = io.Copy(dst, io.NewSectionReader(src, off, n))
	must(t, err)
	return dst.Name()
}

// partition returns the partition labelled label.
func partition(t *testing.T, parts []Partition, label string) Partition {
	t.Helper()
	for _, p := range parts {
		if p.Label == label {
			return p
		}
	}
	t.Fatalf("no partition %s in %+v", label, parts)
	return Partition{}
}

// mtoolsImg is the mtools image spec for the ESP: img@@offset.
func mtoolsImg(img string, p Partition) string {
	return img + "@@" + strconv.FormatInt(p.Start, 10)
}
