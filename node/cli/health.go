package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/health"
)

// Health check directories: the image's defaults, then the node's
// overrides (a file of the same name replaces, an empty one masks).
var healthDirs = []string{"/usr/lib/slipway/health.d", "/etc/slipway/health.d"}

// ErrUnhealthy is returned when the checks fail.
var ErrUnhealthy = errors.New("the node is unhealthy")

func newHealth(o Options) *cobra.Command {
	var (
		t    target
		gate bool
		dirs []string
	)
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Run the health checks; with --gate, act on them (the boot's slipway-health.service)",
		Long: `health runs the checks of /usr/lib/slipway/health.d/*.yaml (the image's) and
/etc/slipway/health.d/*.yaml (the node's: a file of the same name replaces
the image's, an empty one masks it) until all pass or the deadline passes:
units active, HTTP endpoints answering (kubelet /healthz, kube-apiserver
/readyz), files present. The result is recorded on STATE
(/var/lib/slipway/health/) for status. See docs/health.md.

With --gate (slipway-health.service runs it before boot-complete.target):
  pass      exit 0: boot-complete.target is reached and systemd-bless-boot
            blesses the entry;
  retry     unhealthy with tries left: reboot to try again;
  fallback  unhealthy on the last try: mark the entry bad, restore the
            static-pod manifests, reboot into the other good slot;
  stay      unhealthy but no other good slot (or this one is blessed):
            report and stay up; a node never loops on its only slot.`,
		Example: `  slipway-node health
  slipway-node health --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := t.open(cmd, o)
			if err != nil {
				return err
			}
			defer n.Dev.Close()
			res, err := n.Health(cmd.Context(), dirs, health.SystemProber(), gate)
			if err != nil {
				return err
			}
			if t.json {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else {
				printHealth(cmd.OutOrStdout(), res)
			}
			// Every failure exits non-zero, also when a reboot is queued:
			// slipway-health.service then fails, boot-complete.target is
			// not reached, and systemd-bless-boot does not bless the entry
			// before the reboot lands.
			if !res.Result.Passed {
				return ErrUnhealthy
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&gate, "gate", false, "act on the result: reboot to retry or fall back (see above)")
	cmd.Flags().StringSliceVar(&dirs, "checks", healthDirs, "directories of check files, later ones overriding earlier ones")
	t.addFlags(cmd)
	return cmd
}

func printHealth(w io.Writer, g *agent.GateResult) {
	r := g.Result
	verdict := "healthy"
	if !r.Passed {
		verdict = "UNHEALTHY"
	}
	fmt.Fprintf(w, "health: %s (%s on %s, %s)\n", verdict, r.Version, r.Entry, r.Duration)
	for _, c := range r.Checks {
		ok := "ok  "
		if !c.Passed {
			ok = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s %s %s\n", ok, c.Kind, c.Name, c.Detail)
	}
	fmt.Fprintf(w, "action: %s\n", g.Action)
}
