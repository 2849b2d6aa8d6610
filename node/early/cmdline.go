package early

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultPause is how long a failure's diagnosis stays on the console
// before slipway-init reboots.
const DefaultPause = 30 * time.Second

// DefaultDeviceTimeout is how long slipway-init waits for the disk's
// partitions to appear.
const DefaultDeviceTimeout = 60 * time.Second

// DefaultInit is the real root's init.
const DefaultInit = "/sbin/init"

// Cmdline is what slipway-init reads from the kernel command line.
type Cmdline struct {
	// Slot is slipway.slot, "a" or "b"; required.
	Slot string
	// Init is init=, the program started after switching root; default
	// DefaultInit.
	Init string
	// Pause is slipway.pause=SECONDS: how long a failure's diagnosis stays
	// on the console before reboot; default DefaultPause.
	Pause time.Duration
	// DeviceTimeout is slipway.devtimeout=SECONDS: how long to wait for
	// partitions; default DefaultDeviceTimeout.
	DeviceTimeout time.Duration
	// IgnitionPlatform is ignition.platform.id, empty when unset.
	IgnitionPlatform string
}

// ParseCmdline reads a kernel command line (the content of /proc/cmdline).
// The last occurrence of a parameter wins, as in the kernel. It reports
// every problem at once, and always returns a Cmdline with defaults filled
// in, so that a failure path can still use Pause.
func ParseCmdline(s string) (Cmdline, error) {
	c := Cmdline{Init: DefaultInit, Pause: DefaultPause, DeviceTimeout: DefaultDeviceTimeout}
	var errs []error
	for _, f := range splitCmdline(s) {
		key, val, _ := strings.Cut(f, "=")
		if err := c.set(key, val); err != nil {
			errs = append(errs, err)
		}
	}
	switch c.Slot {
	case "a", "b":
	case "":
		errs = append(errs, errors.New("no slipway.slot= on the kernel command line"))
	default:
		errs = append(errs, fmt.Errorf("slipway.slot=%q: want a or b", c.Slot))
	}
	return c, errors.Join(errs...)
}

func (c *Cmdline) set(key, val string) error {
	switch key {
	case "slipway.slot":
		c.Slot = val
	case "init":
		c.Init = val
	case "ignition.platform.id":
		c.IgnitionPlatform = val
	case "slipway.pause":
		return seconds(&c.Pause, key, val)
	case "slipway.devtimeout":
		return seconds(&c.DeviceTimeout, key, val)
	}
	return nil
}

// seconds sets *d from a number of seconds, leaving it alone when val is
// not one.
func seconds(d *time.Duration, key, val string) error {
	n, err := strconv.ParseUint(val, 10, 32)
	if err != nil {
		return fmt.Errorf("%s=%q: want a number of seconds", key, val)
	}
	*d = time.Duration(n) * time.Second
	return nil
}

// splitCmdline splits at spaces outside double quotes and drops the
// quotes, as the kernel does.
func splitCmdline(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if any {
				out = append(out, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}
