package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/images/disk"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/cli"
	nodevalidate "github.com/slipway-dev/slipway/node/validate"
)

func newValidateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Conformance checks: a node, or a running cluster (read-only)",
		Long: `validate runs slipway's conformance levels and prints a pass/fail table,
exiting 1 when a check fails:

  node      a node's disk and configuration (also slipway-node validate)
  cluster   a running cluster through its kube-apiserver, read-only`,
	}
	cmd.AddCommand(cli.ValidateNodeCommand(cli.Options{
		Binary:   "slipway validate node",
		OpenDisk: func(path string) (ab.Device, error) { return disk.OpenDevice(path) },
	}, "node"), newValidateClusterCommand())
	return cmd
}

func newValidateClusterCommand() *cobra.Command {
	var (
		kubeconfig string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "cluster --kubeconfig FILE",
		Short: "Check a running cluster read-only: versions and skew across nodes, control-plane health",
		Long: `cluster asks the kube-apiserver of the kubeconfig's current context, only
with GET requests:

  kube-apiserver   /version and /readyz answer
  node NAME        Ready, and its kubelet within the version-skew policy of
                   the kube-apiserver (not newer, at most 3 minors older)
  control plane    the tier=control-plane static pods run; HA
                   kube-apiservers are within one minor of each other`,
		Example: `  slipway validate cluster --kubeconfig /etc/kubernetes/admin.conf`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kubeconfig == "" {
				return &usageError{errNoKubeconfig}
			}
			rep := nodevalidate.Cluster(cmd.Context(), kubeconfig)
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				rep.Print(cmd.OutOrStdout())
			}
			if !rep.OK() {
				return cli.ErrInvalidNode
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "the cluster's kubeconfig (an admin or read-only identity)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

var errNoKubeconfig = errors.New("--kubeconfig is required")
