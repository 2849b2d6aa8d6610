// Command slipway-init is PID 1 of the initramfs on slipway nodes, built
// static (CGO_ENABLED=0). It assembles the root filesystem from the slot
// named by slipway.slot=, STATE and an /etc overlay, runs Ignition on
// first boot, and switches root to systemd; see node/early. On failure it
// prints a diagnosis, waits slipway.pause= seconds (default 30), and
// reboots. It refuses to run as anything but PID 1.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/slipway-dev/slipway/node/early"
)

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "slipway-init: must run as PID 1 of an initramfs (it mounts, switches root and reboots)")
		os.Exit(2)
	}
	defer func() {
		if r := recover(); r != nil {
			early.Fail(os.Stdout, fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
		}
	}()
	err := early.Boot(context.Background(), os.Stdout)
	early.Fail(os.Stdout, err)
}
