// Command slipway-node is the node agent shipped in the slipway-node
// package and the OS image: status, upgrade, rollback, health and bless
// on the running node. It is deliberately small: it links only the node/
// packages (node/depcheck_test.go); the same commands run on disk image
// files as slipway node on build hosts. See docs/commands/slipway-node.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/version"
	"github.com/slipway-dev/slipway/node/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCommand().ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "slipway-node:", err)
	if cli.IsInvalid(err) {
		os.Exit(2)
	}
	os.Exit(1)
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
	root.AddCommand(cli.Commands(cli.Options{Binary: "slipway-node"})...)
	return root
}
