package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pki"
	"github.com/slipway-dev/slipway/spec"
)

// pkiFlags are shared by the pki commands.
type pkiFlags struct {
	file, dir string
	asJSON    bool
}

func (f *pkiFlags) register(cmd *cobra.Command, withSpec bool) {
	if withSpec {
		addFileFlag(cmd, &f.file)
	}
	cmd.Flags().StringVar(&f.dir, "pki-dir", "pki", "PKI directory (state: CAs are never regenerated silently)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the result as JSON")
}

// config loads the Cluster document and converts it.
func (f *pkiFlags) config(cmd *cobra.Command) (pki.Config, error) {
	c, err := loadCluster(cmd, f.file)
	if err != nil {
		return pki.Config{}, err
	}
	return pki.FromCluster(c), nil
}

// loadCluster loads the Cluster document, printing its warnings.
func loadCluster(cmd *cobra.Command, file string) (*spec.Cluster, error) {
	c, report, err := spec.LoadCluster(file)
	if err != nil {
		return nil, err
	}
	for _, w := range report.Warnings() {
		fmt.Fprintln(cmd.ErrOrStderr(), w)
	}
	return c, nil
}

func newPKICommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Create, check, renew and rotate the cluster's certificates",
		Long: `pki manages the cluster's PKI directory: kubeadm's certificate set (ca,
apiserver, apiserver-kubelet-client, front-proxy-ca/-client, etcd/ca,
etcd/server, etcd/peer, etcd/healthcheck-client, apiserver-etcd-client,
sa.key/sa.pub) with kubeadm's names, subjects, usages and SANs, and the
kubeconfigs (admin, super-admin, controller-manager, scheduler, kubelet).

Shared files sit at the directory's root; each node's leaves and
kubeconfigs under nodes/NAME/, laid out as /etc/kubernetes is on the node.
The directory is state: keys are 0600, CAs are never regenerated, and a
failed run leaves it as it was.`,
	}
	cmd.AddCommand(newPKIInitCommand(), newPKICheckCommand(), newPKIRenewCommand(), newPKIRotateCommand())
	return cmd
}

func newPKIInitCommand() *cobra.Command {
	var f pkiFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create what is missing of the cluster's PKI",
		Long: `init creates every missing CA, key, certificate and kubeconfig for the
Cluster document's nodes, and keeps what is already there and valid.

Modes (spec.pki.mode): generate makes everything; byo-ca uses the CA
certificates and keys you placed in the directory first (ca.crt/ca.key,
optionally front-proxy-ca.* and etcd/ca.*); external-ca uses CA
certificates without keys: every leaf they sign must already be present
(init lists what is missing), and the controller manager signs nothing.`,
		Example: `  slipway pki init -f examples/cluster.yaml --pki-dir build/pki`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(cmd)
			if err != nil {
				return err
			}
			res, err := pki.Init(cmd.Context(), f.dir, cfg)
			if err != nil {
				return err
			}
			return printPKIResult(cmd, f.asJSON, res)
		},
	}
	f.register(cmd, true)
	return cmd
}

func printPKIResult(cmd *cobra.Command, asJSON bool, res *pki.Result) error {
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	for _, w := range res.Written {
		fmt.Fprintln(cmd.OutOrStdout(), "wrote", w)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d files written, %d kept", res.Dir, len(res.Written), len(res.Kept))
	if res.ExternalCA {
		fmt.Fprint(cmd.OutOrStdout(), " (external CA: the controller manager will not sign)")
	}
	fmt.Fprintln(cmd.OutOrStdout())
	return nil
}

func newPKICheckCommand() *cobra.Command {
	var f pkiFlags
	var threshold time.Duration
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Print every certificate's expiry; fail when one expires within the threshold",
		Long: `check lists every certificate of the PKI directory (each one of a CA
bundle) and every kubeconfig's client certificate, with its subject,
issuer and time left. Exit status 1 when any expires within --threshold
(default 30 days), as a monitoring check.`,
		Example: `  slipway pki check --pki-dir build/pki --threshold 720h`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			statuses, err := pki.Check(cmd.Context(), f.dir, time.Now())
			if err != nil {
				return err
			}
			expiring := pki.Expiring(statuses, threshold)
			if f.asJSON {
				if err := writeJSON(cmd.OutOrStdout(), struct {
					Certificates []pki.CertStatus `json:"certificates"`
					Expiring     []pki.CertStatus `json:"expiring"`
				}{statuses, expiring}); err != nil {
					return err
				}
			} else {
				printExpiry(cmd, statuses)
			}
			if len(expiring) > 0 {
				return fmt.Errorf("%d certificate(s) expire within %s: run slipway pki renew", len(expiring), threshold)
			}
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().DurationVar(&threshold, "threshold", 30*24*time.Hour, "fail when a certificate expires sooner than this")
	return cmd
}

func printExpiry(cmd *cobra.Command, statuses []pki.CertStatus) {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE\tSUBJECT\tISSUER\tEXPIRES\tRESIDUAL\tCA")
	for _, s := range statuses {
		name := s.Path
		if s.Index > 0 {
			name = fmt.Sprintf("%s[%d]", s.Path, s.Index)
		}
		ca := ""
		if s.CA {
			ca = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, s.Subject, s.Issuer,
			s.NotAfter.UTC().Format("2006-01-02 15:04 MST"), residual(s.Remaining), ca)
	}
	tw.Flush()
}

// residual formats time left as kubeadm's certs check-expiration does.
func residual(d time.Duration) string {
	switch {
	case d < 0:
		return "expired"
	case d >= 365*24*time.Hour:
		return fmt.Sprintf("%dy", int(d.Hours()/24/365))
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return fmt.Sprintf("%dh", int(d.Hours()))
}

func newPKIRenewCommand() *cobra.Command {
	var f pkiFlags
	cmd := &cobra.Command{
		Use:   "renew [NAME...]",
		Short: "Reissue leaf certificates and kubeconfigs with the same CA",
		Long: `renew reissues leaves (all, or those named: apiserver, etcd-server,
admin.conf, kubelet.conf, nodes/cp1/apiserver, ...) with new keys, signed
by the existing CA. CAs are not touched; with an external CA renew
refuses, since it cannot sign.`,
		Example: `  slipway pki renew -f examples/cluster.yaml --pki-dir build/pki
  slipway pki renew -f examples/cluster.yaml --pki-dir build/pki apiserver admin.conf`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd)
			if err != nil {
				return err
			}
			res, err := pki.Renew(cmd.Context(), f.dir, cfg, args)
			if err != nil {
				return err
			}
			return printPKIResult(cmd, f.asJSON, res)
		},
	}
	f.register(cmd, true)
	return cmd
}

func newPKIRotateCommand() *cobra.Command {
	var f pkiFlags
	var phase int
	cmd := &cobra.Command{
		Use:   "rotate --phase N",
		Short: "Rotate the CAs in three phases through trust bundles",
		Long: `rotate replaces the CAs without a moment in which nodes distrust each
other. Run the phases in order, rolling the nodes' files out between them:

  1  new CAs are generated; ca.crt becomes a bundle of the old and new CA
     (leaves still signed by the old one); the old CA is kept as *.old.*
  2  every leaf and kubeconfig is reissued by the new CA; the bundle
     still trusts both
  3  the old CA leaves the bundle and is deleted

Progress is recorded in rotation.json; phases out of order are refused.`,
		Example: `  slipway pki rotate -f examples/cluster.yaml --pki-dir build/pki --phase 1`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if phase < 1 || phase > 3 {
				return &usageError{fmt.Errorf("--phase must be 1, 2 or 3, not %d", phase)}
			}
			cfg, err := f.config(cmd)
			if err != nil {
				return err
			}
			res, err := pki.Rotate(cmd.Context(), f.dir, cfg, phase)
			if err != nil {
				return err
			}
			return printPKIResult(cmd, f.asJSON, res)
		},
	}
	f.register(cmd, true)
	cmd.Flags().IntVar(&phase, "phase", 0, "rotation phase: 1, 2 or 3")
	return cmd
}
