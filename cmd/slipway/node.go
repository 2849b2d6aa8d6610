package main

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/images/disk"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/cli"
)

func newNodeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "The node agent's commands (status, upgrade, rollback, health, bless), for disk image files",
		Long: `node offers slipway-node's commands on a build host. With --disk IMG
--booted SLOT they work on a raw disk image file offline: install a payload
into its other slot, roll back, bless, show its status. On a node, the same
code runs as slipway-node.`,
	}
	cmd.AddCommand(cli.Commands(cli.Options{
		Binary:   "slipway node",
		OpenDisk: func(path string) (ab.Device, error) { return disk.OpenDevice(path) },
	})...)
	return cmd
}
