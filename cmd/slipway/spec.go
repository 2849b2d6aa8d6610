package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/spec"
)

func newSpecCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spec",
		Short: "Validate specs and print their JSON Schema",
	}
	cmd.AddCommand(newSpecValidateCommand(), newSpecSchemaCommand())
	return cmd
}

func newSpecValidateCommand() *cobra.Command {
	var file string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a spec and report every problem with file:line:column",
		Long: `validate loads the kind: Release document strictly and reports every
problem at once: unknown fields, wrong types, bad versions, unknown
architectures, missing checksums, unsafe paths, and version-skew warnings,
each as FILE:LINE:COLUMN: SEVERITY: FIELD.PATH: MESSAGE.

Exit status 2 when the spec has errors; warnings alone exit 0.`,
		Example: `  slipway spec validate -f examples/release.yaml
  slipway spec validate -f release.yaml --json | jq .problems`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, report, err := spec.LoadRelease(file)
			if asJSON && report != nil {
				out := struct {
					Valid    bool           `json:"valid"`
					File     string         `json:"file"`
					Problems []spec.Problem `json:"problems"`
				}{Valid: !report.IsFatal(), File: file, Problems: report.Problems}
				if out.Problems == nil {
					out.Problems = []spec.Problem{}
				}
				if werr := writeJSON(cmd.OutOrStdout(), out); werr != nil {
					return werr
				}
			}
			if err != nil {
				return err
			}
			if !asJSON {
				for _, w := range report.Warnings() {
					fmt.Fprintln(cmd.ErrOrStderr(), w)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: valid Release %q (%d packages, %d architectures)\n",
					file, r.Metadata.Name, len(r.Packages()), len(r.Spec.Architectures))
			}
			return nil
		},
	}
	addFileFlag(cmd, &file)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func newSpecSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the Release document",
		Long: `schema prints the JSON Schema (draft 2020-12) generated from slipway's Go
types, with their documentation as descriptions. Point your editor at it
for completion and inline checks, e.g. with yaml-language-server:

  # yaml-language-server: $schema=release.schema.json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(spec.ReleaseSchema())
			return err
		},
	}
}

func addFileFlag(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVarP(file, "file", "f", "slipway.yaml", "spec file (YAML, may hold several documents)")
}
