package early

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseCmdline(t *testing.T) {
	def := Cmdline{Init: DefaultInit, Pause: DefaultPause, DeviceTimeout: DefaultDeviceTimeout}
	with := func(f func(*Cmdline)) Cmdline { c := def; f(&c); return c }
	for _, tc := range []struct {
		name, in string
		want     Cmdline
		err      string
	}{
		{"slot only", "console=ttyS0 slipway.slot=a\n", with(func(c *Cmdline) { c.Slot = "a" }), ""},
		{"everything", `BOOT_IMAGE=/vmlinuz slipway.slot=b init=/lib/systemd/systemd slipway.pause=0 slipway.devtimeout=5 ignition.platform.id=qemu quiet`,
			with(func(c *Cmdline) {
				c.Slot, c.Init, c.Pause, c.DeviceTimeout, c.IgnitionPlatform = "b", "/lib/systemd/systemd", 0, 5*time.Second, "qemu"
			}), ""},
		{"last wins", "slipway.slot=a slipway.slot=b", with(func(c *Cmdline) { c.Slot = "b" }), ""},
		{"quoted values", `dyndbg="file x.c +p" slipway.slot="a"`, with(func(c *Cmdline) { c.Slot = "a" }), ""},
		{"no slot", "console=ttyS0", def, "no slipway.slot="},
		{"bad slot", "slipway.slot=c", with(func(c *Cmdline) { c.Slot = "c" }), `slipway.slot="c": want a or b`},
		{"bad pause keeps default", "slipway.slot=a slipway.pause=soon", with(func(c *Cmdline) { c.Slot = "a" }), `slipway.pause="soon"`},
		{"every problem", "slipway.pause=-1 slipway.devtimeout=x", def, "slipway.devtimeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCmdline(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func TestParseCmdlineReportsEveryProblem(t *testing.T) {
	_, err := ParseCmdline("slipway.pause=-1 slipway.devtimeout=x")
	for _, want := range []string{"slipway.pause", "slipway.devtimeout", "no slipway.slot"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}
