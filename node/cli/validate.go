package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/drill"
	"github.com/slipway-dev/slipway/node/validate"
)

// ErrInvalidNode is returned when a validation check fails.
var ErrInvalidNode = errors.New("validation failed")

// ValidateNodeCommand is `validate` in slipway-node and `validate node`
// in slipway (use names the command).
func ValidateNodeCommand(o Options, use string) *cobra.Command {
	var (
		t           target
		pf          payloadFlags
		destructive bool
	)
	cmd := &cobra.Command{
		Use:   use,
		Short: "Check this node: slots, boot entries, health gate, PKI expiry, static pods (--destructive: power-cut and rollback drills)",
		Long: `validate checks a node and prints a pass/fail table; it exits 1 when a
check fails:

  layout         both slots and the ESP's boot entries are reachable
  boot           loader.conf picks slipway's entries; something is bootable
  slots          the booted slot is good or being tried; no entry misses its
                 kernel or initrd; a bad slot says why
  health gate    the last result on STATE passed (live only)
  pki: expiry    no certificate in /etc/kubernetes/pki expires within 30 days
  manifests      every static-pod manifest is a named Pod

With --disk IMG --booted SLOT (slipway node, build hosts) it checks a disk
image file; the checks of a running node are then skipped, and say so.

--destructive --payload REF (test clusters only) then drills the A/B
protocol on this disk with a payload of another version: the upgrade is
staged and rolled back; the power is cut (at the device: every later
write fails) before each write of the upgrade, three times inside the slot
write (unsynced bytes lost) and inside the entry write, and after each cut
the booted version must still be the default, with every bootable entry
finding its own slot, kernel and initrd; then the upgrade is staged again
and booted unblessed until its tries run out, and the booted slot must be
the default again, its bytes untouched. The other slot is overwritten and
left marked bad; nothing reboots. The payload is checked as by upgrade
(--key, skew flags).`,
		Example: `  slipway-node validate
  slipway validate node --disk node.raw --booted a
  # test clusters: drills with a payload of another version
  slipway-node validate --destructive --payload registry.test:5000/slipway/payload:0.1.1
  slipway validate node --disk node.raw --booted a --destructive \
      --payload out/release/amd64/payload/example-0.1.0-amd64 --control-plane-version 1.33.0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var uo agent.UpgradeOptions
			if destructive {
				var err error
				if uo, err = pf.options(); err != nil {
					return err
				}
			} else if pf.ref != "" {
				return invalid("--payload is for --destructive")
			}
			n, err := t.open(cmd, o)
			if err != nil {
				return err
			}
			defer n.Dev.Close()
			reps := []*validate.Report{validate.Node(n, time.Now())}
			if destructive {
				other, _ := boot.OtherSlot(n.Booted)
				fmt.Fprintf(cmd.ErrOrStderr(), "destructive drills, overwriting slot %s (slot %s booted; test clusters only):\n", other, n.Booted)
				reps = append(reps, drill.Run(cmd.Context(), n, drill.Options{Upgrade: uo, WorkDir: workDir(n),
					OnCheck: func(c validate.Check) { fmt.Fprintf(cmd.ErrOrStderr(), "  %-4s %s\n", c.Result, c.Name) }}))
			}
			ok := true
			for _, rep := range reps {
				ok = ok && rep.OK()
			}
			if t.json {
				var v any = reps[0]
				if destructive {
					v = reps
				}
				if err := writeJSON(cmd.OutOrStdout(), v); err != nil {
					return err
				}
			} else {
				for _, rep := range reps {
					rep.Print(cmd.OutOrStdout())
				}
			}
			if !ok {
				return ErrInvalidNode
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&destructive, "destructive", false, "also run the power-cut and rollback drills (test clusters only: overwrites the other slot)")
	pf.addFlags(cmd)
	t.addFlags(cmd)
	return cmd
}

// workDir is where the drills keep a payload fetched from a registry: on
// a node STATE (the root filesystem is read-only), else the temporary
// directory.
func workDir(n *agent.Node) string {
	if n.Live {
		return filepath.Join(n.Root, agent.StateDir)
	}
	return ""
}
