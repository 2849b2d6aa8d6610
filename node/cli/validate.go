package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/node/validate"
)

// ErrInvalidNode is returned when a validation check fails.
var ErrInvalidNode = errors.New("validation failed")

// ValidateNodeCommand is `validate` in slipway-node and `validate node`
// in slipway (use names the command).
func ValidateNodeCommand(o Options, use string) *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   use,
		Short: "Check this node: slots, boot entries, health gate, PKI expiry, static pods",
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
image file; the checks of a running node are then skipped, and say so.`,
		Example: `  slipway-node validate
  slipway validate node --disk node.raw --booted a`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := t.open(cmd, o)
			if err != nil {
				return err
			}
			defer n.Dev.Close()
			rep := validate.Node(n, time.Now())
			if t.json {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				rep.Print(cmd.OutOrStdout())
			}
			if !rep.OK() {
				return ErrInvalidNode
			}
			return nil
		},
	}
	t.addFlags(cmd)
	return cmd
}
