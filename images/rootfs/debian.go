package rootfs

// BuildDebian makes a node OS root from Debian packages with mmdebstrap:
// the Debian value and the options become one mmdebstrap command line
// (mmdebstrapArgs, a pure function), run into a staging directory beside
// the destination and renamed into place when complete.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
