package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/ignition"
	"github.com/slipway-dev/slipway/pki"
)

func newIgnitionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ignition",
		Short: "Generate the nodes' first-boot Ignition configs",
	}
	cmd.AddCommand(newIgnitionGenerateCommand())
	return cmd
}

func newIgnitionGenerateCommand() *cobra.Command {
	var f pkiFlags
	var output string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write one Ignition config per node of the Cluster document",
		Long: `generate writes DIR/NODE.ign for every node: an Ignition 3.3.0 config
(what Debian's Ignition 2.14 reads) that makes the machine a
control-plane or worker node on first boot:

  /etc/kubernetes/pki/...       the node's certificates and keys (keys 0600)
  /etc/kubernetes/*.conf        kubelet.conf; on control-plane nodes also
                                admin.conf, controller-manager.conf, scheduler.conf
  /etc/kubernetes/manifests/    etcd, kube-apiserver, kube-controller-manager,
                                kube-scheduler static pods (control plane, 0600)
  /var/lib/kubelet/config.yaml  KubeletConfiguration with spec.kubelet.config merged
  kubelet.service.d/20-slipway.conf, /etc/hostname, the core user's SSH keys,
  kubelet and containerd enabled, and the node's Butane snippet merged.

It first runs pki init on --pki-dir (creating only what is missing), so
the configs and the PKI directory always agree. The configs hold private
keys: they are written 0600; keep them out of release artifacts. Each is
checked with Ignition's validator before it is written, and nothing is
written unless all are valid.`,
		Example: `  slipway ignition generate -f examples/cluster.yaml --pki-dir build/pki -o out/ignition`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadCluster(cmd, f.file)
			if err != nil {
				return err
			}
			if _, err := pki.Init(cmd.Context(), f.dir, pki.FromCluster(c)); err != nil {
				return err
			}
			configs, err := ignition.Generate(cmd.Context(), c, f.dir)
			if err != nil {
				return err
			}
			if err := ignition.Write(output, configs); err != nil {
				return err
			}
			if f.asJSON {
				return writeJSON(cmd.OutOrStdout(), struct {
					Output string                `json:"output"`
					Nodes  []ignition.NodeConfig `json:"nodes"`
				}{output, configs})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tROLE\tFILES\tCONFIG")
			for _, nc := range configs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s/%s.ign\n", nc.Node, nc.Role, nc.Files, output, nc.Node)
			}
			return tw.Flush()
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVarP(&output, "output", "o", "out/ignition", "output directory for NODE.ign files")
	return cmd
}
