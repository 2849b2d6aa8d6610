package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/release"
)

func newReleaseCommand() *cobra.Command {
	var (
		file, output, cacheDir, nodeAgentDir string
		dryRun, asJSON                       bool
		workers                              int
	)
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Build, checksum and sign the whole release matrix into one directory",
		Long: `release builds every artifact of a Release for every architecture it
supports into one directory, the release directory layout v1
(docs/release-layout.md):

  repo/v1.NN/{deb,rpm}/        packages and their apt and yum repositories
  images/NAME/                 container images (multi-arch OCI layouts)
  ARCH/disk/NAME-VERSION-ARCH.raw   node OS disk images
  ARCH/os/NAME-VERSION-ARCH/        node OS root filesystems (OCI images)
  ARCH/payload/NAME-VERSION-ARCH/   update payloads (OCI layouts)
  ARCH/sbom/NAME-VERSION-ARCH.spdx.json   SPDX SBOMs of the OS images
  release.json                 every artifact: kind, arch, path, digest, size, inputs
  SHA256SUMS, SHA256SUMS.asc   checksums of every file, signed (spec.signing)
  release-key.asc              the signing key's public half

The steps form a graph (packages -> node OS -> disk image, OS image,
payload and SBOM per architecture; components -> images) run in parallel
(--parallel), shown as one board of steps; each
reuses the shared cache, so an unchanged input is not rebuilt. The
directory appears only when everything is built and signed; Ctrl-C leaves
no partial artifact. An existing release directory is replaced, anything
else refused. --dry-run prints the plan.`,
		Example: `  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) slipway release -f examples/release.yaml -o out/release
  slipway release -f examples/release.yaml -o out/release --dry-run
  slipway release verify out/release --key release-key.asc`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := loadRelease(cmd, file)
			if err != nil {
				return err
			}
			if dryRun {
				return release.PrintPlan(cmd.OutOrStdout(), release.Plan(r), output)
			}
			epoch, err := buildSetup(cmd, &cacheDir)
			if err != nil {
				return err
			}
			rep := progress.New(cmd.ErrOrStderr())
			m, err := release.Build(cmd.Context(), r, output, release.Options{
				CacheDir: cacheDir, Epoch: epoch, NodeAgent: nodeAgentFinder(nodeAgentDir),
				Revision: gitRevision(filepath.Dir(r.File())), Workers: workers, Progress: rep, Log: osLog(cmd),
			})
			rep.Wait()
			if errors.Is(err, release.ErrNotARelease) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), m)
			}
			return printManifest(cmd.OutOrStdout(), m, output)
		},
	}
	addFileFlag(cmd, &file)
	cmd.Flags().StringVarP(&output, "output", "o", "out/release", "the release directory")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "cache of downloads, packages, trees and slot filesystems (default $XDG_CACHE_HOME/slipway)")
	cmd.Flags().StringVar(&nodeAgentDir, "node-agent-dir", "", "directory holding slipway-node-linux-ARCH and slipway-init-linux-ARCH (default: beside slipway)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan: each step, what it builds from, where its output goes")
	cmd.Flags().IntVar(&workers, "parallel", min(runtime.NumCPU(), 4), "steps run at once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print release.json")
	cmd.AddCommand(newReleaseVerifyCommand())
	return cmd
}

func printManifest(w io.Writer, m *release.Manifest, dir string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tARCH\tSIZE\tDIGEST\tPATH")
	for _, a := range m.Artifacts {
		arch := a.Arch
		if arch == "" {
			arch = "all"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Kind, arch, humanSize(a.Size), a.Digest[:19], a.Path)
	}
	tw.Flush()
	signed := "unsigned"
	if m.Signed {
		signed = "signed"
	}
	fmt.Fprintf(w, "release %s %s (Kubernetes %s): %d artifacts in %s, %s\n", m.Name, m.Version, m.KubernetesVersion, len(m.Artifacts), dir, signed)
	return nil
}

func newReleaseVerifyCommand() *cobra.Command {
	var (
		key, file, cacheDir, nodeAgentDir string
		asJSON, rebuild                   bool
	)
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a release directory: checksums, signature, every artifact of release.json",
		Long: `verify checks a release directory written by slipway release: release.json
is a v1 manifest and every artifact it names is there with its digest and
size; SHA256SUMS lists every file and each matches; SHA256SUMS.asc
verifies with --key (without it, with the release-key.asc shipped in the
directory, which proves integrity but not who signed). It reports every
problem, naming the file and the artifact it belongs to, and exits 1 when
there is any.

--rebuild is the reproducibility check: it builds the release again from
the Release document release.json names (or -f), which must still have the
recorded digest, at the recorded SOURCE_DATE_EPOCH, into a temporary
directory, and reports every artifact whose digest differs. By default it
uses a fresh, empty cache, so nothing comes from earlier builds (the node
OS is bootstrapped from the Debian mirror again); --cache-dir reuses one.`,
		Example: `  slipway release verify out/release --key keys/release.pub.asc
  slipway release verify out/release --rebuild`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var keyring []byte
			if key != "" {
				b, err := os.ReadFile(key)
				if err != nil {
					return &usageError{fmt.Errorf("--key: %w", err)}
				}
				keyring = b
			}
			rep, err := release.Verify(args[0], keyring)
			if err != nil {
				return err
			}
			if rebuild && rep.OK() {
				if rep, err = rebuildRelease(cmd, args[0], rep.Manifest, file, cacheDir, nodeAgentDir); err != nil {
					return err
				}
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				for _, p := range rep.Problems {
					fmt.Fprintln(cmd.OutOrStdout(), "FAIL", p)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d files, %d artifacts, signature %s: ", rep.Files, rep.Artifacts, rep.Signature)
				if rep.OK() {
					fmt.Fprintln(cmd.OutOrStdout(), "ok")
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "%d problems\n", len(rep.Problems))
				}
			}
			if !rep.OK() {
				return fmt.Errorf("%w: %d problems", release.ErrInvalid, len(rep.Problems))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "OpenPGP public key(s) the release must be signed by")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "build the release again and compare every artifact's digest")
	cmd.Flags().StringVarP(&file, "file", "f", "", "with --rebuild: the Release document (default: the one release.json names)")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "with --rebuild: the cache to build with (default: a fresh, empty one)")
	cmd.Flags().StringVar(&nodeAgentDir, "node-agent-dir", "", "with --rebuild: directory holding slipway-node-linux-ARCH (default: beside slipway)")
	return cmd
}

// rebuildRelease runs release.Rebuild for verify --rebuild.
func rebuildRelease(cmd *cobra.Command, dir string, m *release.Manifest, file, cacheDir, nodeAgentDir string) (*release.Report, error) {
	if file == "" {
		file = m.Spec.File
	}
	r, err := loadRelease(cmd, file)
	if err != nil {
		return nil, err
	}
	if cacheDir == "" {
		tmp, err := os.MkdirTemp("", "slipway-rebuild-cache-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		cacheDir = tmp
	}
	rep := progress.New(cmd.ErrOrStderr())
	defer rep.Wait()
	return release.Rebuild(cmd.Context(), dir, r, release.Options{
		CacheDir: cacheDir, NodeAgent: nodeAgentFinder(nodeAgentDir), Revision: gitRevision(filepath.Dir(r.File())),
		Progress: rep, Log: osLog(cmd),
	})
}
