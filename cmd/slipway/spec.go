package main

import (
	"fmt"
	"os"
	"slices"

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
		Long: `validate loads every slipway document of the file (kind: Release,
kind: Cluster) strictly and reports every problem at once: unknown fields,
wrong types, bad versions, unknown architectures, missing checksums, unsafe
paths, overlapping CIDRs, bad Butane snippets, and version-skew warnings,
each as FILE:LINE:COLUMN: SEVERITY: FIELD.PATH: MESSAGE.

Exit status 2 when a document has errors; warnings alone exit 0.`,
		Example: `  slipway spec validate -f examples/release.yaml
  slipway spec validate -f examples/cluster.yaml
  slipway spec validate -f release.yaml --json | jq .problems`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return validate(cmd, file, asJSON)
		},
	}
	addFileFlag(cmd, &file)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// validation is the result of checking one document.
type validation struct {
	Kind     string         `json:"kind"`
	Name     string         `json:"name,omitempty"`
	Valid    bool           `json:"valid"`
	Problems []spec.Problem `json:"problems"`
	summary  string
}

func validate(cmd *cobra.Command, file string, asJSON bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading spec: %w", err)
	}
	kinds := knownKinds(spec.DocumentKinds(data))
	if len(kinds) == 0 {
		kinds = []string{spec.KindRelease} // its loader explains what is missing
	}
	var results []validation
	var firstErr error
	for _, kind := range kinds {
		res, err := validateKind(file, data, kind)
		results = append(results, res)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if asJSON {
		out := struct {
			Valid     bool           `json:"valid"`
			File      string         `json:"file"`
			Documents []validation   `json:"documents"`
			Problems  []spec.Problem `json:"problems"`
		}{Valid: firstErr == nil, File: file, Documents: results, Problems: []spec.Problem{}}
		for _, r := range results {
			out.Problems = append(out.Problems, r.Problems...)
		}
		if werr := writeJSON(cmd.OutOrStdout(), out); werr != nil {
			return werr
		}
		return firstErr
	}
	for _, r := range results {
		if !r.Valid {
			continue // its whole report is printed with the error
		}
		for _, p := range r.Problems {
			fmt.Fprintln(cmd.ErrOrStderr(), p)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: valid %s %q (%s)\n", file, r.Kind, r.Name, r.summary)
	}
	return firstErr
}

func knownKinds(found []string) []string {
	var out []string
	for _, k := range spec.Kinds {
		if slices.Contains(found, k) {
			out = append(out, k)
		}
	}
	return out
}

func validateKind(file string, data []byte, kind string) (validation, error) {
	res := validation{Kind: kind}
	var report *spec.Report
	var err error
	switch kind {
	case spec.KindCluster:
		var c *spec.Cluster
		c, report, err = spec.ParseCluster(file, data)
		if c != nil {
			res.Name = c.Metadata.Name
			res.summary = fmt.Sprintf("%d nodes, %d control-plane", len(c.Spec.Nodes), len(c.ControlPlaneNodes()))
		}
	default:
		var r *spec.Release
		r, report, err = spec.ParseRelease(file, data)
		if r != nil {
			res.Name = r.Metadata.Name
			res.summary = fmt.Sprintf("%d packages, %d architectures", len(r.Packages()), len(r.Spec.Architectures))
		}
	}
	res.Valid = err == nil
	if report != nil {
		res.Problems = report.Problems
	}
	if res.Problems == nil {
		res.Problems = []spec.Problem{}
	}
	return res, err
}

func newSpecSchemaCommand() *cobra.Command {
	var kind string
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of a document kind",
		Long: `schema prints the JSON Schema (draft 2020-12) of the Release (default) or
Cluster document, generated from slipway's Go types, with their
documentation as descriptions. Point your editor at it
for completion and inline checks, e.g. with yaml-language-server:

  # yaml-language-server: $schema=release.schema.json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := spec.Schema(kind)
			if err != nil {
				return &usageError{err}
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&kind, "kind", spec.KindRelease, "document kind: Release or Cluster")
	return cmd
}

func addFileFlag(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVarP(file, "file", "f", "slipway.yaml", "spec file (YAML, may hold several documents)")
}
