//go:build linux

package early

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ignitionRun holds Ignition's config cache, state and the setfiles shim
// while it runs; removed afterwards (the cache holds the config).
const ignitionRun = "/run/slipway/ignition"

// ignition runs Ignition on first boot and records that first boot
// completed.
func (b *boot) ignition(ctx context.Context) (string, error) {
	if !b.plan.FirstBoot {
		return "skipped: not first boot", nil
	}
	esp, err := b.mountESP()
	if err != nil {
		return "", err
	}
	src := ChooseSource(b.facts(esp))
	details, err := applyConfig(ctx, src)
	if err == nil {
		err = writeMarker(Root+"/var", FirstBootMarker)
	}
	if err == nil && src.ConfigFile != "" {
		details += "; " + removeESPConfig(src.ConfigFile)
	}
	if uerr := unmountESP(esp); err == nil && uerr != nil {
		err = uerr
	}
	return details, err
}

func (b *boot) facts(esp string) Facts {
	f := Facts{Platform: b.cmd.IgnitionPlatform}
	if esp != "" && exists(esp, ESPConfig) {
		f.ESPConfig = filepath.Join(esp, ESPConfig)
	}
	_, err := os.Stat(FwCfgConfig)
	f.FwCfg = err == nil
	return f
}

// applyConfig runs Ignition's fetch and files stages, unless there is no
// config.
func applyConfig(ctx context.Context, src Source) (string, error) {
	if src.Platform == "" {
		return src.String(), nil
	}
	version := ignitionVersion(ctx)
	var out bytes.Buffer
	err := runIgnition(ctx, src, &out)
	log := SanitizeIgnitionLog(out.Bytes())
	saveIgnitionLog(log)
	if err != nil {
		return "", fmt.Errorf("%s, %s: %w; last lines:\n%s", version, src, err, tail(log, 15))
	}
	return fmt.Sprintf("%s, %s: config applied", version, src), nil
}

// runIgnition runs the stages chrooted into Root with /dev, /proc, /sys
// and /run bound, so that Ignition uses the image's useradd and friends
// and sees the image as "/".
func runIgnition(ctx context.Context, src Source, out *bytes.Buffer) error {
	undo, err := bindAPI()
	defer undo()
	if err != nil {
		return err
	}
	defer os.RemoveAll(ignitionRun)
	if err := writeShim(); err != nil {
		return err
	}
	for _, stage := range []string{"fetch", "files"} {
		if err := ignitionStage(ctx, src, stage, out); err != nil {
			return fmt.Errorf("running Ignition's %s stage: %w", stage, err)
		}
	}
	return nil
}

// ignitionStage executes the initramfs's Ignition binary inside the
// chroot through an inherited descriptor (/proc/self/fd/3): the binary
// need not exist in the image, and its loader and libraries resolve in the
// image, which they were taken from.
func ignitionStage(ctx context.Context, src Source, stage string, out *bytes.Buffer) error {
	bin, err := os.Open(IgnitionBinary)
	if err != nil {
		return err
	}
	defer bin.Close()
	cmd := exec.CommandContext(ctx, "/proc/self/fd/3", "-root", "/", "-platform", src.Platform,
		"-stage", stage, "-log-to-stdout",
		"-config-cache", ignitionRun+"/config.json", "-state-file", ignitionRun+"/state")
	cmd.Args[0] = "ignition"
	cmd.ExtraFiles = []*os.File{bin}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: Root}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + ignitionRun + "/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	if src.ConfigFile != "" {
		cmd.Env = append(cmd.Env, "IGNITION_CONFIG_FILE="+src.ConfigFile)
	}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}

// ignitionVersion runs the initramfs's Ignition outside the chroot: it
// checks that the binary and the libraries carried with it work.
func ignitionVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, IgnitionBinary, "-version").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s -version failed: %v %s", IgnitionBinary, err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out))
}

// bindAPI binds /dev, /proc, /sys and /run (with what is mounted below
// them) into Root; undo detaches them.
func bindAPI() (undo func(), err error) {
	var done []string
	undo = func() {
		for i := len(done) - 1; i >= 0; i-- {
			unix.Unmount(done[i], unix.MNT_DETACH)
		}
	}
	for _, d := range []string{"/dev", "/proc", "/sys", "/run"} {
		if err := unix.Mount(d, Root+d, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return undo, fmt.Errorf("binding %s into %s: %w", d, Root, err)
		}
		done = append(done, Root+d)
	}
	return undo, nil
}

// setfilesShim stands first on Ignition's PATH. Debian's Ignition always
// relabels after its files stage, and setfiles refuses "-r /", which is
// what a chrooted run passes. With SELinux disabled (slipway images)
// relabeling means nothing; otherwise the real setfiles runs without
// "-r /".
const setfilesShim = `#!/bin/sh
# Written by slipway-init for Ignition's files stage; removed after it.
if grep -qs '^SELINUX=disabled' /etc/selinux/config; then exit 0; fi
for a do
	shift
	if [ "$a" = -r ] && [ "$1" = / ]; then drop=1; continue; fi
	if [ -n "$drop" ]; then drop=; continue; fi
	set -- "$@" "$a"
done
PATH=/usr/sbin:/sbin exec setfiles "$@"
`

func writeShim() error {
	dir := ignitionRun + "/bin"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(dir+"/setfiles", []byte(setfilesShim), 0o755)
}
