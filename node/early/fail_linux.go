//go:build linux

package early

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Fail prints a diagnosis of err on con (the failed step, the kernel
// command line, partitions and block devices, loaded modules, mounts),
// waits slipway.pause (DefaultPause), then reboots. It never returns. Only
// PID 1 may call it: it reboots the machine.
func Fail(con io.Writer, err error) {
	data, _ := os.ReadFile("/proc/cmdline")
	cmd, _ := ParseCmdline(string(data))
	Diagnose(con, err, string(data))
	fmt.Fprintf(con, "slipway-init: rebooting in %s (slipway.pause=SECONDS on the kernel command line changes this)\n", cmd.Pause)
	time.Sleep(cmd.Pause)
	unix.Sync()
	rerr := unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	for {
		fmt.Fprintf(con, "slipway-init: reboot failed: %v; halted, reset the machine\n", rerr)
		time.Sleep(time.Minute)
	}
}

// Diagnose prints what an operator needs to understand a failed boot.
func Diagnose(con io.Writer, err error, cmdline string) {
	step := "?"
	var se *StepError
	if errors.As(err, &se) {
		step, err = se.Step, se.Err
	}
	fmt.Fprintf(con, "slipway-init: FAILED at step %s: %v\n", step, err)
	fmt.Fprintf(con, "slipway-init: kernel command line: %s\n", strings.TrimSpace(cmdline))
	p, perr := ScanPartitions(SysBlock)
	if perr != nil {
		fmt.Fprintf(con, "slipway-init: partitions: %v\n", perr)
	} else {
		fmt.Fprintf(con, "slipway-init: partitions by PARTLABEL: %s\n", orNone(p.String()))
	}
	fmt.Fprintf(con, "slipway-init: block devices: %s\n", orNone(blockDevices()))
	fmt.Fprintf(con, "slipway-init: loaded modules: %s\n", orNone(firstFields("/proc/modules")))
	fmt.Fprintf(con, "slipway-init: mounts:\n%s", indent(readOr("/proc/self/mounts")))
}

func blockDevices() string {
	entries, _ := os.ReadDir(SysBlock)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// firstFields lists the first word of each line of a file, sorted.
func firstFields(p string) string {
	var out []string
	for _, line := range strings.Split(readOr(p), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func readOr(p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Sprintf("(%v)\n", err)
	}
	return string(data)
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}
