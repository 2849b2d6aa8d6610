package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/node/agent"
)

func newUpgrade(o Options) *cobra.Command {
	var (
		t             target
		pf            payloadFlags
		stage, reboot bool
	)
	cmd := &cobra.Command{
		Use:   "upgrade --payload REF|DIR",
		Short: "Install an OS update payload into the slot that did not boot",
		Long: `upgrade installs an update payload (slipway payload build) into the slot
that did not boot, by the A/B protocol (docs/upgrades.md):

  1. verify before writing anything: the architecture, the signature (with
     --key, or the keys in ` + DefaultKeyring + `), the blobs' digests, and the
     Kubernetes version-skew policy;
  2. on a control-plane node with a local etcd, save an etcd snapshot to
     STATE (/var/lib/slipway/etcd/);
  3. remove the target slot's boot entry; write the slot and read it back;
     write its kernel and initrd; write its entry last, with 3 tries;
  4. with --manifests, swap the new static-pod manifests in by atomic
     rename, keeping a backup that rollback restores.

Every step is synced before the next: a power cut at any instant leaves a
disk that boots. The new version boots next; if it does not pass the
health gate within its 3 tries, the node returns to the current version by
itself. Upgrading to the version that is running does nothing.`,
		Example: `  # on a node, from a registry, then reboot into it
  slipway-node upgrade --payload registry.example.com/slipway/payload:1.1.0 --reboot
  # offline, on a disk image file whose slot a is the current one
  slipway node upgrade --disk node.raw --booted a --payload out/payload/node-1.1.0-amd64 \
      --control-plane-version 1.33.0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stage && reboot {
				return invalid("--stage and --reboot exclude each other")
			}
			opts, err := pf.options()
			if err != nil {
				return err
			}
			n, err := t.open(cmd, o)
			if err != nil {
				return err
			}
			defer n.Dev.Close()
			opts.Reboot = reboot
			rec, err := n.Upgrade(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if t.json {
				return writeJSON(cmd.OutOrStdout(), rec)
			}
			if rec.NoOp {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is already running on slot %s\n", rec.To, rec.Slot)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s on slot %s (%s); it boots next\n", rec.To, rec.Slot, rec.Entry)
			return nil
		},
	}
	f := cmd.Flags()
	pf.addFlags(cmd)
	f.BoolVar(&stage, "stage", false, "write the new version without rebooting (the default)")
	f.BoolVar(&reboot, "reboot", false, "reboot into the new version once it is written")
	f.BoolVar(&pf.opts.Skew.Ignore, "ignore-skew", false, "install even when the version-skew policy forbids it (logged and recorded)")
	f.StringVar(&pf.opts.Manifests, "manifests", "", "directory of static-pod manifests for the new version, swapped in with a backup")
	f.BoolVar(&pf.opts.SkipEtcdSnapshot, "skip-etcd-snapshot", false, "do not snapshot the local etcd member first")
	t.addFlags(cmd)
	return cmd
}

// payloadFlags say which payload to install and how it is checked
// (upgrade, validate --destructive).
type payloadFlags struct {
	ref, key string
	insecure bool
	opts     agent.UpgradeOptions
}

func (p *payloadFlags) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.ref, "payload", "", "the payload: a registry reference (HOST/REPO:TAG) or an OCI layout directory (DIR or DIR:TAG)")
	f.StringVar(&p.key, "key", "", "OpenPGP public key(s) the payload must be signed by (default "+DefaultKeyring+" when present)")
	f.BoolVar(&p.insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
	f.StringVar(&p.opts.Skew.Role, "role", "", "the node's role for the skew policy: control-plane or worker (default: detected on a node, worker offline)")
	f.StringSliceVar(&p.opts.Skew.ControlPlaneVersions, "control-plane-version", nil, "kube-apiserver version(s) of the cluster (offline on a control-plane node, the first is the node's own)")
	f.StringVar(&p.opts.Skew.Kubeconfig, "kubeconfig", "", "ask this kubeconfig's kube-apiserver for its version")
}

// options checks the flags and reads the key.
func (p *payloadFlags) options() (agent.UpgradeOptions, error) {
	o := p.opts
	if p.ref == "" {
		return o, invalid("--payload is required")
	}
	if r := o.Skew.Role; r != "" && r != agent.RoleControlPlane && r != agent.RoleWorker {
		return o, invalid("--role %q: use %s or %s", r, agent.RoleControlPlane, agent.RoleWorker)
	}
	kr, err := readKey(p.key)
	if err != nil {
		return o, err
	}
	o.Payload, o.Insecure, o.Keyring = p.ref, p.insecure, kr
	return o, nil
}
