package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// OVMF firmware from Debian's ovmf package.
const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// machine is a QEMU guest (TCG: KVM does not work here) with no network,
// booting a disk image through OVMF and systemd-boot. Its EFI variables
// persist across boots, like a real machine's NVRAM.
type machine struct {
	disk, vars string
}

func newMachine(t *testing.T, disk string) *machine {
	t.Helper()
	needTools(t, "qemu-system-x86_64")
	vars := filepath.Join(t.TempDir(), "OVMF_VARS.fd")
	b, err := os.ReadFile(ovmfVars)
	if err != nil {
		t.Fatalf("OVMF is missing (apt-get install ovmf): %v", err)
	}
	if err := os.WriteFile(vars, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return &machine{disk: disk, vars: vars}
}

// boot runs the machine until it powers itself off (the probe unit does)
// or the deadline passes, and returns the serial console. fwcfg, when set,
// hands an Ignition config to the guest through QEMU's fw_cfg.
func (m *machine) boot(t *testing.T, fwcfg string, deadline time.Duration) string {
	t.Helper()
	return m.run(t, runOptions{fwcfg: fwcfg, deadline: deadline})
}

// runOptions are how a machine runs.
type runOptions struct {
	fwcfg    string
	deadline time.Duration
	// reboots lets the guest reboot (QEMU resets it); otherwise a
	// reboot ends the run.
	reboots bool
	// forward, a port on 127.0.0.1, is the only address the guest can
	// reach, as 10.0.2.100:forward (DESIGN.md "Tests and the network");
	// 0 gives the guest no network.
	forward int
}

// guestForwardAddr is where a guest reaches the forwarded port.
const guestForwardAddr = "10.0.2.100"

func (m *machine) run(t *testing.T, o runOptions) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), o.deadline)
	defer cancel()
	args := []string{"-machine", "q35", "-cpu", "max", "-m", "1536", "-smp", "2", "-device", "virtio-rng-pci", "-nographic",
		"-drive", "if=pflash,format=raw,readonly=on,file=" + ovmfCode,
		"-drive", "if=pflash,format=raw,file=" + m.vars,
		"-drive", "file=" + m.disk + ",format=raw,if=virtio"}
	if !o.reboots {
		args = append(args, "-no-reboot")
	}
	if o.forward == 0 {
		args = append(args, "-nic", "none")
	} else {
		// cmd: spawns socat for each guest connection; a chardev
		// (tcp:HOST:PORT) is one connection opened at start-up, which
		// the second guest connection cannot use.
		args = append(args, "-nic", fmt.Sprintf("user,model=virtio-net-pci,restrict=on,guestfwd=tcp:%s:%d-cmd:socat - TCP:127.0.0.1:%d", guestForwardAddr, o.forward, o.forward))
	}
	if o.fwcfg != "" {
		args = append(args, "-fw_cfg", "name=opt/com.coreos/config,file="+o.fwcfg)
	}
	var out bytes.Buffer
	var w io.Writer = &out
	start := time.Now()
	if d := os.Getenv("SLIPWAY_E2E_CONSOLES"); d != "" {
		// Written as it comes, to follow a long run.
		if f, err := os.Create(filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_")+"-"+start.Format("150405")+".log")); err == nil {
			defer f.Close()
			w = io.MultiWriter(&out, f)
		}
	}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Run()
	console := out.String()
	if ctx.Err() != nil {
		t.Fatalf("the guest did not power off within %s; console:\n%s", o.deadline, tailN(console, 8000))
	}
	if err != nil {
		t.Fatalf("qemu: %v; console:\n%s", err, tailN(console, 6000))
	}
	t.Logf("the machine ran for %s", time.Since(start).Round(time.Second))
	return console
}

func tailN(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

var probeRe = regexp.MustCompile(`PROBE ([a-z-]+)=(.*)`)

// probe returns the report the probe unit wrote on boot n: printed on the
// serial console, and written whole on STATE, where it is read back from
// the powered-off disk image (debugfs), which proves it persisted there.
// The two must agree.
func probe(t *testing.T, console, img string, n int) map[string]string {
	t.Helper()
	needTools(t, "debugfs")
	state := inspectDisk(t, img).Partitions[3]
	out, err := exec.Command("debugfs", "-R", fmt.Sprintf("cat /lib/slipway-probe/report-%d", n),
		fmt.Sprintf("%s?offset=%d", img, state.Start)).Output()
	if err != nil || !strings.Contains(string(out), "PROBE done=yes") {
		t.Fatalf("no report %d on STATE (%v): %q; console:\n%s", n, err, out, tailN(console, 8000))
	}
	report := parseProbe(string(out))
	t.Logf("probe %d: %v", n, report)
	onConsole := parseProbe(console)
	for k, v := range report {
		if onConsole[k] != v {
			t.Errorf("probe %s: %q on the console, %q on STATE", k, onConsole[k], v)
		}
	}
	return report
}

func parseProbe(s string) map[string]string {
	out := map[string]string{}
	for _, m := range probeRe.FindAllStringSubmatch(s, -1) {
		out[m[1]] = strings.TrimSpace(strings.TrimRight(m[2], "\r"))
	}
	return out
}

// expect checks probe values, naming every mismatch.
func expect(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("probe %s = %q, want %q", k, got[k], v)
		}
	}
}
