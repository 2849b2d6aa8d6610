package rootfs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// mmdebstrapHooks is where the mmdebstrap package keeps its hook
// directories.
const mmdebstrapHooks = "/usr/share/mmdebstrap/hooks"

// dpkgExcludes keep manuals, translations and documentation other than
// copyright files out of the tree (and out of later dpkg runs in it).
var dpkgExcludes = []string{
	"path-exclude=/usr/share/man/*",
	"path-exclude=/usr/share/info/*",
	"path-exclude=/usr/share/locale/*",
	"path-include=/usr/share/locale/locale.alias",
	"path-exclude=/usr/share/doc/*",
	"path-include=/usr/share/doc/*/copyright",
}

// Hooks run by mmdebstrap's sh with the tree as $1.
const (
	// noKernelLinks stops linux-update-symlinks making /vmlinuz and
	// /initrd.img: slipway puts the kernel on the ESP.
	noKernelLinks = `mkdir -p "$1/etc" && printf 'do_symlinks = no\n' > "$1/etc/kernel-img.conf"`
	// divertInitramfs replaces update-initramfs, which the kernel's
	// postinst hook and triggers run, by a no-op before any package that
	// ships it is installed.
	divertInitramfs = `dpkg-divert --root "$1" --quiet --local --rename --divert /usr/sbin/update-initramfs.slipway --add /usr/sbin/update-initramfs && ` +
		`printf '#!/bin/sh\necho "update-initramfs: disabled, slipway builds its own initramfs" >&2\n' > "$1/usr/sbin/update-initramfs" && ` +
		`chmod 0755 "$1/usr/sbin/update-initramfs"`
	// cleanTree drops initramfs images and the host's hostname and
	// resolv.conf (a symlink, as systemd-resolved makes, stays).
	cleanTree = `rm -f "$1"/boot/initrd.img* "$1/etc/hostname" && { [ -L "$1/etc/resolv.conf" ] || rm -f "$1/etc/resolv.conf"; }`
)

// mmdebstrapArgs is the mmdebstrap command line building resolved d into
// target, with localDebs the staged copies of d.LocalDebs.
func mmdebstrapArgs(d Debian, o *debianOptions, target string, localDebs []string) []string {
	a := []string{
		"--mode=unshare", "--variant=apt", "--format=directory",
		"--architectures=" + d.Arch, "--components=main",
		`--aptopt=Apt::Install-Recommends "false"`,
	}
	for _, x := range dpkgExcludes {
		a = append(a, "--dpkgopt="+x)
	}
	a = append(a, "--include="+strings.Join(d.packages(), ","))
	for _, deb := range localDebs {
		a = append(a, "--include="+deb)
	}
	a = append(a, "--hook-dir="+mmdebstrapHooks+"/merged-usr")
	if len(localDebs) > 0 {
		a = append(a, "--hook-dir="+mmdebstrapHooks+"/file-mirror-automount")
	}
	a = append(a, "--setup-hook="+noKernelLinks)
	if o.cache != "" {
		a = append(a, `--setup-hook=mkdir -p "$1/var/cache/apt/archives"`,
			"--setup-hook=sync-in "+shellQuote(o.cache)+" /var/cache/apt/archives")
	}
	a = append(a, "--essential-hook="+divertInitramfs)
	if o.cache != "" {
		a = append(a, "--customize-hook=sync-out /var/cache/apt/archives "+shellQuote(o.cache))
	}
	return append(a, "--customize-hook="+cleanTree, "--skip=essential/unlink", "--", d.Suite, target, d.Mirror)
}

// mmdebstrapEnv is what BuildDebian adds to mmdebstrap's environment.
func mmdebstrapEnv(o *debianOptions) []string {
	if o.epoch == nil {
		return nil
	}
	return []string{fmt.Sprintf("SOURCE_DATE_EPOCH=%d", o.epoch.Unix())}
}

// shellQuote quotes s for a shell, or for mmdebstrap's special hooks,
// which split their arguments the same way.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runMmdebstrap runs mmdebstrap in its own process group, killed whole
// when ctx is cancelled, streaming its output lines to log.
func runMmdebstrap(ctx context.Context, args, env []string, log io.Writer) error {
	path, err := exec.LookPath("mmdebstrap")
	if err != nil {
		return fmt.Errorf("finding mmdebstrap (Debian package mmdebstrap): %w", err)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out := &lineLog{w: log}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.Flush()
	if ctx.Err() != nil {
		return fmt.Errorf("running mmdebstrap: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("running mmdebstrap: %w; last output:\n%s", err, strings.Join(out.tail, "\n"))
	}
	return nil
}

// lineLog passes whole lines to w and keeps the last ones for errors.
type lineLog struct {
	w       io.Writer
	partial []byte
	tail    []string
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.line(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
}

// Flush passes on an unterminated last line.
func (l *lineLog) Flush() {
	if len(l.partial) > 0 {
		l.line(string(l.partial))
		l.partial = nil
	}
}

func (l *lineLog) line(s string) {
	fmt.Fprintln(l.w, s)
	if l.tail = append(l.tail, s); len(l.tail) > 20 {
		l.tail = l.tail[1:]
	}
}

// newStaging creates an empty directory beside dst for mmdebstrap.
func newStaging(dst string) (string, error) {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".mmdebstrap-*")
	if err != nil {
		return "", err
	}
	return tmp, os.Chmod(tmp, 0o755)
}

// removeStaging deletes a staging tree, first detaching anything still
// mounted under it (never deleting through a mount into the host).
func removeStaging(tmp string) error {
	mounts, err := mountsUnder(tmp)
	if err != nil {
		return fmt.Errorf("removing %s: %w", tmp, err)
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		unix.Unmount(mounts[i], unix.MNT_DETACH)
	}
	if mounts, _ = mountsUnder(tmp); len(mounts) > 0 {
		return fmt.Errorf("not removing %s: %d mounts remain under it", tmp, len(mounts))
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("removing %s: %w", tmp, err)
	}
	return nil
}

// mountsUnder lists the mount points at or below dir, sorted.
func mountsUnder(dir string) ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountinfo(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	slices.Sort(out)
	return out, nil
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// stageLocalDebs copies .deb files to a fresh directory under /tmp, where
// mmdebstrap's file-mirror-automount hook makes them visible inside the
// tree at the same path, and mmdebstrap's cleanup of /tmp leaves no trace.
func stageLocalDebs(paths []string) ([]string, func(), error) {
	if len(paths) == 0 {
		return nil, func() {}, nil
	}
	dir, err := os.MkdirTemp("/tmp", "slipway-debs-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	var out []string
	for i, p := range paths {
		dst := filepath.Join(dir, fmt.Sprintf("%02d-%s", i, debNameRE.ReplaceAllString(filepath.Base(p), "_")))
		if err := copyFile(p, dst); err != nil {
			cleanup()
			return nil, nil, err
		}
		out = append(out, dst)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return nil, nil, err
	}
	return out, cleanup, nil
}

// debNameRE matches what a staged file name does not keep.
var debNameRE = regexp.MustCompile(`[^A-Za-z0-9._+~-]`)

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
