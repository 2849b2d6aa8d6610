package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/version"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "slipway",
		Short: "Build and upgrade an immutable Kubernetes node OS from one spec",
		Long: `slipway builds everything a Kubernetes node OS release needs from one
declarative spec (kind: Release): deb and rpm packages for every
architecture, signed apt and yum repositories per Kubernetes minor, and,
as they land, OCI images, bootable disk images and A/B update payloads.

Every command that reads a spec takes -f/--file (default slipway.yaml; a
file may hold several YAML documents, each command takes the one of its
kind). Commands that write take -o/--output DIR and write nothing there
unless they succeed. Commands that report take --json.

Exit status: 0 ok, 1 runtime failure, 2 invalid input (spec, flags).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newVersionCommand(), newSpecCommand(), newPackagesCommand(), newPKICommand(), newIgnitionCommand(), newImagesCommand(), newDiskCommand(), newNodeCommand(), newReleaseCommand(), newPayloadCommand(), newValidateCommand())
	return root
}

func newVersionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print slipway's version",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"version": version.String()})
			}
			fmt.Fprintln(cmd.OutOrStdout(), "slipway", version.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// argsUsage wraps a cobra.PositionalArgs so that wrong arguments exit 2.
func argsUsage(f cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := f(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}
