package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/sources"
	"github.com/slipway-dev/slipway/spec"
)

// buildFlags are the flags shared by the commands that build packages.
type buildFlags struct {
	file, output, cacheDir, nodeAgentDir string
	parallel                             int
	asJSON                               bool
}

func (f *buildFlags) register(cmd *cobra.Command) {
	addFileFlag(cmd, &f.file)
	cmd.Flags().StringVarP(&f.output, "output", "o", "out", "output directory (written only when everything succeeded)")
	cmd.Flags().StringVar(&f.cacheDir, "cache-dir", "", "content-addressed cache of downloads and built packages (default $XDG_CACHE_HOME/slipway)")
	cmd.Flags().StringVar(&f.nodeAgentDir, "node-agent-dir", "", "directory holding slipway-node-linux-ARCH binaries (default: beside the slipway binary)")
	cmd.Flags().IntVar(&f.parallel, "parallel", 0, "packages built at once (default: number of CPUs)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the result as JSON on stdout (logs go to stderr)")
}

// options turns the flags into package build options.
// The returned reporter must be waited for before printing a summary.
func (f *buildFlags) options(cmd *cobra.Command) ([]packages.Option, progress.Reporter, error) {
	epoch, err := sourceDateEpoch(cmd.ErrOrStderr())
	if err != nil {
		return nil, nil, err
	}
	rep := progress.New(cmd.ErrOrStderr())
	opts := []packages.Option{
		packages.WithCacheDir(f.cacheDir),
		packages.WithSourceDateEpoch(epoch),
		packages.WithNodeAgent(nodeAgentFinder(f.nodeAgentDir)),
		packages.WithProgress(rep),
	}
	if f.parallel > 0 {
		opts = append(opts, packages.WithParallel(f.parallel))
	}
	return opts, rep, nil
}

// buildFunc builds or publishes a loaded release.
type buildFunc func(context.Context, *spec.Release, []packages.Option) ([]packages.Artifact, []packages.Repository, error)

// run loads the spec, builds with the flags' options and prints the result.
func (f *buildFlags) run(cmd *cobra.Command, do buildFunc) error {
	r, err := f.load(cmd)
	if err != nil {
		return err
	}
	opts, rep, err := f.options(cmd)
	if err != nil {
		return err
	}
	arts, repos, err := do(cmd.Context(), r, opts)
	rep.Wait()
	if err != nil {
		return err
	}
	return report(cmd, f.asJSON, f.output, arts, repos)
}

func (f *buildFlags) load(cmd *cobra.Command) (*spec.Release, error) { return loadRelease(cmd, f.file) }

// loadRelease loads the Release document, printing its warnings.
func loadRelease(cmd *cobra.Command, file string) (*spec.Release, error) {
	r, report, err := spec.LoadRelease(file)
	if err != nil {
		return nil, err
	}
	for _, w := range report.Warnings() {
		fmt.Fprintln(cmd.ErrOrStderr(), w)
	}
	return r, nil
}

// buildSetup is what every build command starts with: the epoch
// (sourceDateEpoch) and the cache directory, *cacheDir or the default.
func buildSetup(cmd *cobra.Command, cacheDir *string) (time.Time, error) {
	if *cacheDir == "" {
		*cacheDir = sources.DefaultCacheDir()
	}
	return sourceDateEpoch(cmd.ErrOrStderr())
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH; unset, it warns and uses now.
func sourceDateEpoch(log io.Writer) (time.Time, error) {
	v, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || v == "" {
		fmt.Fprintln(log, "warning: SOURCE_DATE_EPOCH is not set; using the current time, so the output is not reproducible")
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, &usageError{fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative number of seconds", v)}
	}
	return time.Unix(n, 0).UTC(), nil
}

// nodeAgentFinder finds slipway-node-linux-ARCH in dir, by default the
// directory of the running slipway binary (make build puts them there).
func nodeAgentFinder(dir string) packages.NodeAgentFunc {
	return func(arch string) (string, error) {
		d := dir
		if d == "" {
			exe, err := os.Executable()
			if err != nil {
				return "", fmt.Errorf("locating slipway-node: %w", err)
			}
			d = filepath.Dir(exe)
		}
		p := filepath.Join(d, "slipway-node-linux-"+arch)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w for %s at %s: run make build, pass --node-agent-dir, or declare a slipway-node component",
				packages.ErrNoNodeAgent, arch, p)
		}
		return p, nil
	}
}

func newPackagesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "packages",
		Short: "Build deb and rpm packages and publish apt and yum repositories",
	}
	cmd.AddCommand(newPackagesBuildCommand(), newPackagesRepoCommand())
	return cmd
}

func newPackagesBuildCommand() *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build every package for every architecture and format",
		Long: `build makes the release's packages with nfpm: the built-in set mirroring
the official Kubernetes packages (kubelet, kubeadm, kubectl, cri-tools,
kubernetes-cni; each built when its component is declared) plus
slipway-node, and the packages the spec adds or overrides, as deb and rpm
for every architecture, named by each format's conventions
(kubelet_1.32.4-1_amd64.deb, kubelet-1.32.4-1.x86_64.rpm).

Output is reproducible: file times and signatures take SOURCE_DATE_EPOCH.
Each package is cached by the digest of its inputs, so an unchanged
rebuild copies from the cache. Packages appear in the output directory
only when all are built.`,
		Example: `  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) slipway packages build -f examples/release.yaml -o out/packages
  slipway packages build -f release.yaml -o out --json | jq -r '.artifacts[].file'`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, r *spec.Release, opts []packages.Option) ([]packages.Artifact, []packages.Repository, error) {
				arts, err := packages.Build(ctx, r, f.output, opts...)
				return arts, nil, err
			})
		},
	}
	f.register(cmd)
	return cmd
}

// report prints the summary table, or the JSON document.
func report(cmd *cobra.Command, asJSON bool, out string, arts []packages.Artifact, repos []packages.Repository) error {
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), struct {
			Output       string                `json:"output"`
			Artifacts    []packages.Artifact   `json:"artifacts"`
			Repositories []packages.Repository `json:"repositories,omitempty"`
		}{out, arts, repos})
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tVERSION\tARCH\tFORMAT\tSIZE\tSHA256\tFILE")
	cached := 0
	for _, a := range arts {
		if a.Cached {
			cached++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Package, a.Version, a.Arch, a.Format,
			humanSize(a.Size), a.SHA256[:12], a.File)
	}
	tw.Flush()
	fmt.Fprintf(cmd.OutOrStdout(), "%d packages in %s (%d from cache)\n", len(arts), out, cached)
	for _, r := range repos {
		fmt.Fprintf(cmd.OutOrStdout(), "%s repository: %s (%d packages)\n", r.Format, r.Dir, r.Packages)
	}
	return nil
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
