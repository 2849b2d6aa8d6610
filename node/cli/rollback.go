package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newRollback(o Options) *cobra.Command {
	var (
		t      target
		reboot bool
	)
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Make the other good slot the default now",
		Long: `rollback marks the default slot's entry bad (0 tries left), so systemd-boot
boots the other slot next, and restores the static-pod manifests an upgrade
swapped in. It refuses when the other slot is empty or bad. After an upgrade
that was staged but not booted, rollback cancels it.`,
		Example: `  slipway-node rollback --reboot
  slipway node rollback --disk node.raw --booted b`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := t.open(cmd, o)
			if err != nil {
				return err
			}
			defer n.Dev.Close()
			res, err := n.Rollback(reboot)
			if err != nil {
				return err
			}
			if t.json {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "slot %s (%s) boots next; slot %s marked bad (%s)\n", res.To, res.Version, res.From, res.Marked)
			return nil
		},
	}
	cmd.Flags().BoolVar(&reboot, "reboot", false, "reboot now")
	t.addFlags(cmd)
	return cmd
}

func newBless(o Options) *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   "bless",
		Short: "Mark the booted slot's entry good (what systemd-bless-boot does after a healthy boot)",
		Long: `bless drops the boot counter from the booted slot's entry, so it keeps
booting. On a node, systemd-bless-boot does this by itself once the health
gate passed and boot-complete.target is reached; bless is for disk image
files and for operators who decide by hand.`,
		Example: `  slipway node bless --disk node.raw --booted b`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := t.open(cmd, o)
			if err != nil {
				return err
			}
			defer n.Dev.Close()
			name, err := n.Bless()
			if err != nil {
				return err
			}
			if t.json {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"entry": name})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "slot %s blessed: %s\n", n.Booted, name)
			return nil
		},
	}
	t.addFlags(cmd)
	return cmd
}
