package rootfs

// BuildDebian makes a node OS root from Debian packages with mmdebstrap:
// the Debian value and the options become one mmdebstrap command line
// (mmdebstrapArgs, a pure function), run into a staging directory beside
// the destination and renamed into place when complete.

import (
	"bytes"
	"context"
	"errors"
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

// Defaults of Debian's fields.
const (
	// DefaultSuite is the Debian release built when Debian.Suite is empty.
	DefaultSuite = "bookworm"
	// DefaultArch is the architecture built when Debian.Arch is empty.
	DefaultArch = "amd64"
)

// Debian describes a node OS root built from Debian packages.
type Debian struct {
	// Suite is the Debian release; default DefaultSuite.
	Suite string
	// Mirror is the archive URI; default the host's apt source for the
	// suite (AptMirror on /etc/apt), else DefaultMirror.
	Mirror string
	// Arch is the Debian architecture; default DefaultArch.
	Arch string
	// Packages are installed in addition to DefaultPackages(Arch).
	Packages []string
	// LocalDebs are paths of our own .deb files, installed in the same apt
	// run, their dependencies coming from the mirror.
	LocalDebs []string
}

// DefaultPackages returns what a slipway node OS needs for arch: systemd
// with udev, D-Bus, resolved and timesyncd; systemd-boot (bootctl,
// systemd-bless-boot) and its EFI binaries; Debian's cloud kernel
// (linux-image-cloud-<arch> on amd64 and arm64, linux-image-<arch>
// elsewhere); containerd and runc with iptables and conntrack for
// kube-proxy; Ignition with policycoreutils (its files stage runs
// setfiles); passwd, e2fsprogs, kmod, iproute2, netbase and
// ca-certificates. Recommends are not installed.
func DefaultPackages(arch string) []string {
	kernel := "linux-image-" + arch
	if arch == "amd64" || arch == "arm64" {
		kernel = "linux-image-cloud-" + arch
	}
	return []string{
		"systemd", "systemd-sysv", "udev", "dbus", "systemd-resolved", "systemd-timesyncd",
		"systemd-boot", "systemd-boot-efi", kernel, "kmod",
		"containerd", "runc", "iptables", "conntrack",
		"ignition", "policycoreutils", "passwd", "e2fsprogs",
		"iproute2", "netbase", "ca-certificates",
	}
}

// Resolve returns d with its defaults filled in. An empty Mirror becomes
// the host's apt source for the suite, or DefaultMirror when the host has
// none.
func (d Debian) Resolve() (Debian, error) {
	if d.Suite == "" {
		d.Suite = DefaultSuite
	}
	if d.Arch == "" {
		d.Arch = DefaultArch
	}
	if d.Mirror == "" {
		m, err := AptMirror("/etc/apt", d.Suite)
		switch {
		case errors.Is(err, ErrNoMirror):
			m = DefaultMirror
		case err != nil:
			return d, fmt.Errorf("finding the host's mirror: %w", err)
		}
		d.Mirror = m
	}
	d.Packages = slices.Clone(d.Packages)
	d.LocalDebs = slices.Clone(d.LocalDebs)
	return d, nil
}

// packages is the package list to install: defaults, then d.Packages,
// without repeats.
func (d Debian) packages() []string {
	var out []string
	for _, p := range append(DefaultPackages(d.Arch), d.Packages...) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

var (
	suiteRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*$`)
	archRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	packageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.+:=~/-]*$`)
)

// validate checks a resolved Debian value, reporting every problem.
func (d Debian) validate() error {
	var errs []error
	if !suiteRE.MatchString(d.Suite) {
		errs = append(errs, fmt.Errorf("suite %q is not a Debian suite name", d.Suite))
	}
	if !archRE.MatchString(d.Arch) {
		errs = append(errs, fmt.Errorf("arch %q is not a Debian architecture", d.Arch))
	}
	if !strings.Contains(d.Mirror, "://") || strings.ContainsAny(d.Mirror, " \t\n") {
		errs = append(errs, fmt.Errorf("mirror %q is not a URI", d.Mirror))
	}
	for _, p := range d.Packages {
		if !packageRE.MatchString(p) {
			errs = append(errs, fmt.Errorf("package %q is not a package name", p))
		}
	}
	for _, p := range d.LocalDebs {
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() || !strings.HasSuffix(p, ".deb") {
			errs = append(errs, fmt.Errorf("local package %q is not a .deb file", p))
		}
	}
	return errors.Join(errs...)
}

type debianOptions struct {
	cache string
	epoch *time.Time
	log   io.Writer
}

// DebianOption configures BuildDebian.
type DebianOption func(*debianOptions) error

// WithDebCache keeps downloaded .deb files in dir (created if missing) and
// reuses them on the next build, so a rebuild downloads only what changed.
// Default: no cache, every build downloads everything.
func WithDebCache(dir string) DebianOption {
	return func(o *debianOptions) error {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("resolving deb cache: %w", err)
		}
		o.cache = abs
		return nil
	}
}

// WithSourceDateEpoch sets SOURCE_DATE_EPOCH for mmdebstrap, which then
// stamps the tree with t and makes it reproducible from the same mirror
// content. Default: the environment's SOURCE_DATE_EPOCH, if any.
func WithSourceDateEpoch(t time.Time) DebianOption {
	return func(o *debianOptions) error {
		if t.Unix() < 0 {
			return fmt.Errorf("source date %s is before 1970", t)
		}
		o.epoch = &t
		return nil
	}
}

// WithLog streams mmdebstrap's output lines to w. Default: discarded (the
// last lines still appear in a failure's error).
func WithLog(w io.Writer) DebianOption {
	return func(o *debianOptions) error { o.log = w; return nil }
}

// BuildDebian builds a root filesystem tree from Debian packages into dst,
// which must not exist, by running mmdebstrap (Debian package mmdebstrap)
// in unshare mode: variant apt plus d's packages, merged /usr, no
// Recommends, no manuals, translations or documentation other than
// copyright files. No initramfs is generated (update-initramfs is diverted
// to a no-op: slipway builds its own) and no /boot/initrd.img* is left;
// the kernel symlinks in / are not made; /etc/hostname and a host copy of
// /etc/resolv.conf are removed. The tree is built in a staging directory
// beside dst and renamed into place only when complete: on failure or
// cancellation (which kills mmdebstrap's process group) nothing is left.
// mmdebstrap needs network access to the mirror.
func BuildDebian(ctx context.Context, dst string, d Debian, opts ...DebianOption) (err error) {
	o := &debianOptions{log: io.Discard}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return err
		}
	}
	if d, err = d.Resolve(); err != nil {
		return fmt.Errorf("building Debian root: %w", err)
	}
	if err := d.validate(); err != nil {
		return fmt.Errorf("building Debian root: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("building Debian root: %s already exists", dst)
	}
	if o.cache != "" {
		if err := os.MkdirAll(o.cache, 0o755); err != nil {
			return fmt.Errorf("creating deb cache: %w", err)
		}
	}
	tmp, err := newStaging(dst)
	if err != nil {
		return fmt.Errorf("building Debian root: %w", err)
	}
	defer func() {
		if err != nil {
			if rerr := removeStaging(tmp); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	debs, unstage, err := stageLocalDebs(d.LocalDebs)
	if err != nil {
		return fmt.Errorf("staging local packages: %w", err)
	}
	defer unstage()
	if err := runMmdebstrap(ctx, mmdebstrapArgs(d, o, tmp, debs), mmdebstrapEnv(o), o.log); err != nil {
		return fmt.Errorf("building Debian root: %w", err)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE); err != nil {
		return fmt.Errorf("moving root into place: %w", err)
	}
	return nil
}

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
