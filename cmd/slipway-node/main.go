// Command slipway-node is the node agent shipped in the slipway-node
// package and the OS image. It is deliberately small: it links only the
// node/ packages. The A/B commands (status, upgrade, rollback, health,
// bless) land with the upgrade work; see docs/commands/slipway-node.md.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/version"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "slipway-node:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "slipway-node",
		Short:         "slipway's node agent: OS slots, upgrades, health gate and rollback",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the agent's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "slipway-node", version.String())
		},
	})
	return root
}
