package rootfs

// Finalize turns any root filesystem tree (mmdebstrap output, an extracted
// tarball or OCI image, a copied directory) into a slipway node root; Check
// tells whether a tree holds what slipway needs to boot it.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// OSInfo names the slipway OS a tree becomes; Finalize writes it into
// os-release.
type OSInfo struct {
	// Version is the slipway OS version, IMAGE_VERSION in os-release.
	// Required.
	Version string
	// Name is the OS name shown to users, VARIANT in os-release; empty
	// leaves VARIANT out.
	Name string
	// KubernetesVersion is SLIPWAY_KUBERNETES_VERSION in os-release; empty
	// leaves it out.
	KubernetesVersion string
}

// ESPFstabLine mounts the ESP at /efi in the booted system, where
// systemd-bless-boot finds the boot entries. The fsck pass is 0: the image
// carries no fsck.vfat.
const ESPFstabLine = "PARTLABEL=esp\t/efi\tvfat\tumask=0077,nofail\t0\t0"

// Finalize makes dir a slipway node root, idempotently:
// /etc/machine-id is "uninitialized" (systemd applies presets on first
// boot, which is how Ignition enables units); /etc/selinux/config disables
// SELinux (Ignition's files stage relabels otherwise); /etc/fstab mounts
// PARTLABEL=esp at /efi and /efi exists (the root is read-only at runtime);
// os-release keeps the distribution's fields and gains IMAGE_ID=slipway,
// IMAGE_VERSION, VARIANT and SLIPWAY_KUBERNETES_VERSION; /etc/hostname and
// a regular-file /etc/resolv.conf, copied from the build host, are removed
// (a symlink, as systemd-resolved makes, is kept). Symlinks resolve inside
// dir, never on the host. It does not check the tree: see Check.
func Finalize(dir string, o OSInfo) error {
	if o.Version == "" {
		return errors.New("finalizing root: OS version is empty")
	}
	steps := []struct {
		what string
		do   func(string, OSInfo) error
	}{
		{"writing /etc/machine-id", writeMachineID},
		{"writing /etc/selinux/config", writeSELinuxConfig},
		{"writing /etc/fstab", writeFstab},
		{"creating /efi", makeESPMountPoint},
		{"writing os-release", writeOSRelease},
		{"removing host files", removeHostFiles},
		{"linking writable directories into /var", linkWritableDirs},
		{"enabling tmp.mount", enableTmpMount},
		{"masking systemd-firstboot", maskFirstboot},
	}
	for _, s := range steps {
		if err := s.do(dir, o); err != nil {
			return fmt.Errorf("finalizing %s: %s: %w", dir, s.what, err)
		}
	}
	return nil
}

func writeMachineID(dir string, _ OSInfo) error {
	return writeInTree(dir, "etc/machine-id", []byte("uninitialized\n"), 0o444)
}

func writeSELinuxConfig(dir string, _ OSInfo) error {
	body := "# Written by slipway: Ignition relabels files unless SELinux is disabled.\nSELINUX=disabled\nSELINUXTYPE=none\n"
	return writeInTree(dir, "etc/selinux/config", []byte(body), 0o644)
}

// writeFstab replaces any /efi line and keeps every other line.
func writeFstab(dir string, _ OSInfo) error {
	old, err := readInTree(dir, "etc/fstab")
	if err != nil {
		return err
	}
	var out []string
	for _, l := range splitLines(old) {
		if f := strings.Fields(l); len(f) >= 2 && f[1] == "/efi" && !strings.HasPrefix(f[0], "#") {
			continue
		}
		out = append(out, l)
	}
	out = append(out, ESPFstabLine)
	return writeInTree(dir, "etc/fstab", []byte(strings.Join(out, "\n")+"\n"), 0o644)
}

func makeESPMountPoint(dir string, _ OSInfo) error {
	p := filepath.Join(dir, "efi")
	st, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return os.Mkdir(p, 0o755)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("/efi exists and is not a directory")
	}
	return nil
}

// removeHostFiles drops what mmdebstrap (and docker-style tools) copy from
// the build host.
func removeHostFiles(dir string, _ OSInfo) error {
	etc, err := securejoin.SecureJoin(dir, "etc")
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(etc, "hostname")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	resolv := filepath.Join(etc, "resolv.conf")
	if st, err := os.Lstat(resolv); err == nil && st.Mode().IsRegular() {
		return os.Remove(resolv)
	}
	return nil
}

// readInTree reads a file of the tree; a missing file reads as empty.
func readInTree(dir, rel string) ([]byte, error) {
	p, err := securejoin.SecureJoin(dir, rel)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// writeInTree writes a file of the tree through a temporary file renamed
// into place, resolving symlinks within dir.
func writeInTree(dir, rel string, data []byte, mode os.FileMode) error {
	p, err := securejoin.SecureJoin(dir, rel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".slipway-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), mode)
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

func splitLines(b []byte) []string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// osReleaseKeys are the os-release fields Finalize owns.
var osReleaseKeys = []string{"IMAGE_ID", "IMAGE_VERSION", "VARIANT", "SLIPWAY_KUBERNETES_VERSION"}

// writeOSRelease edits the real os-release file (on Debian
// /usr/lib/os-release, with /etc/os-release a symlink to it), creating
// /usr/lib/os-release and the link when the tree has none.
func writeOSRelease(dir string, o OSInfo) error {
	rel, err := osReleasePath(dir)
	if err != nil {
		return err
	}
	old, err := readInTree(dir, rel)
	if err != nil {
		return err
	}
	return writeInTree(dir, rel, []byte(editOSRelease(old, o)), 0o644)
}

// osReleasePath finds the os-release file to edit, relative to dir.
func osReleasePath(dir string) (string, error) {
	for _, rel := range []string{"etc/os-release", "usr/lib/os-release"} {
		p, err := securejoin.SecureJoin(dir, rel)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(p); err == nil {
			return filepath.Rel(dir, p)
		}
	}
	link := filepath.Join(dir, "etc", "os-release")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return "", err
	}
	os.Remove(link) // a dangling link
	return "usr/lib/os-release", os.Symlink("../usr/lib/os-release", link)
}

// editOSRelease drops the fields Finalize owns and appends their values.
func editOSRelease(old []byte, o OSInfo) string {
	var b strings.Builder
	for _, l := range splitLines(old) {
		if !ownsOSReleaseLine(l) {
			b.WriteString(l + "\n")
		}
	}
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s=%s\n", k, quoteOSRelease(v))
		}
	}
	add("IMAGE_ID", "slipway")
	add("IMAGE_VERSION", o.Version)
	add("VARIANT", o.Name)
	add("SLIPWAY_KUBERNETES_VERSION", o.KubernetesVersion)
	return b.String()
}

func ownsOSReleaseLine(l string) bool {
	k, _, ok := strings.Cut(strings.TrimSpace(l), "=")
	if !ok {
		return false
	}
	for _, own := range osReleaseKeys {
		if k == own {
			return true
		}
	}
	return false
}

// quoteOSRelease quotes a value unless it is a plain word, escaping what
// os-release(5) says must be escaped.
func quoteOSRelease(v string) string {
	plain := strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+:-", r))
	}) < 0
	if plain {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	return `"` + r.Replace(v) + `"`
}

// Sentinel errors Check wraps, one per missing piece.
var (
	// ErrNoKernel: no kernel image with its modules.
	ErrNoKernel = errors.New("no kernel")
	// ErrNoSystemd: no systemd to switch_root to.
	ErrNoSystemd = errors.New("no systemd")
	// ErrNoBootloader: no systemd-boot EFI binary to put on the ESP.
	ErrNoBootloader = errors.New("no systemd-boot")
	// ErrNoIgnition: no Ignition binary for first boot.
	ErrNoIgnition = errors.New("no Ignition")
)

// Check verifies that dir can be booted by slipway: a kernel
// (/usr/lib/modules/<kver>/vmlinuz or /boot/vmlinuz-<kver>) with
// /lib/modules/<kver>/modules.dep, systemd (/sbin/init or
// /lib/systemd/systemd), systemd-boot's EFI binary
// (/usr/lib/systemd/boot/efi/systemd-boot*.efi) and Ignition
// (/usr/lib/dracut/modules.d/30ignition/ignition). It reports every
// missing piece in one error, which matches each sentinel (errors.Is)
// that applies. Symlinks resolve inside dir.
func Check(dir string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("checking root %s: not a directory", dir)
	}
	var errs []error
	if err := checkKernel(dir); err != nil {
		errs = append(errs, err)
	}
	if !anyExists(dir, "sbin/init", "lib/systemd/systemd") {
		errs = append(errs, fmt.Errorf("%w: neither /sbin/init nor /lib/systemd/systemd", ErrNoSystemd))
	}
	if len(globInTree(dir, "usr/lib/systemd/boot/efi", "systemd-boot*.efi")) == 0 {
		errs = append(errs, fmt.Errorf("%w: no /usr/lib/systemd/boot/efi/systemd-boot<arch>.efi (package systemd-boot-efi)", ErrNoBootloader))
	}
	if !anyExists(dir, "usr/lib/dracut/modules.d/30ignition/ignition") {
		errs = append(errs, fmt.Errorf("%w: no /usr/lib/dracut/modules.d/30ignition/ignition (package ignition)", ErrNoIgnition))
	}
	if len(errs) > 0 {
		return fmt.Errorf("checking root %s: %w", dir, errors.Join(errs...))
	}
	return nil
}

// checkKernel accepts the tree when one kernel image has its modules.dep.
func checkKernel(dir string) error {
	var vers []string
	for _, m := range globInTree(dir, "usr/lib/modules", "*") {
		if anyExists(dir, "usr/lib/modules/"+m+"/vmlinuz") {
			vers = append(vers, m)
		}
	}
	for _, img := range globInTree(dir, "boot", "vmlinuz-*") {
		vers = append(vers, strings.TrimPrefix(img, "vmlinuz-"))
	}
	if len(vers) == 0 {
		return fmt.Errorf("%w: no /usr/lib/modules/<kver>/vmlinuz or /boot/vmlinuz-<kver>", ErrNoKernel)
	}
	for _, v := range vers {
		if anyExists(dir, "lib/modules/"+v+"/modules.dep") {
			return nil
		}
	}
	return fmt.Errorf("%w: kernel %s has no /lib/modules/%s/modules.dep", ErrNoKernel, vers[0], vers[0])
}

// anyExists reports whether one of the paths names a file (not a
// directory) inside dir.
func anyExists(dir string, rels ...string) bool {
	for _, rel := range rels {
		p, err := securejoin.SecureJoin(dir, rel)
		if err != nil {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// globInTree returns the sorted names in the tree directory rel matching
// pattern.
func globInTree(dir, rel, pattern string) []string {
	d, err := securejoin.SecureJoin(dir, rel)
	if err != nil {
		return nil
	}
	matches, _ := filepath.Glob(filepath.Join(d, pattern))
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = filepath.Base(m)
	}
	return names
}
