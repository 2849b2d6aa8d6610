package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/ignition"
	"github.com/slipway-dev/slipway/images/disk"
	"github.com/slipway-dev/slipway/images/nodeos"
	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/internal/staging"
	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/spec"
)

func newDiskCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "disk",
		Short: "Build, inspect and personalize bootable node disk images",
		Long: `A slipway disk image is a GPT disk laid out for A/B upgrades:

  1 esp            FAT32: systemd-boot, loader/entries, slipway/<slot>/{vmlinuz,initrd}
  2 slipway-a      the OS root filesystem, read-only (squashfs or erofs)
  3 slipway-b      empty until the first upgrade
  4 slipway-state  ext4: /var, the /etc overlay, the first-boot marker

The first boot applies the node's Ignition config (from QEMU's fw_cfg, a
config on the ESP written by 'disk personalize', or a cloud platform) and
deletes it from the ESP afterwards.`,
	}
	cmd.AddCommand(newDiskBuildCommand(), newDiskInspectCommand(), newDiskPersonalizeCommand())
	return cmd
}

func newDiskBuildCommand() *cobra.Command {
	var file, output, cacheDir, nodeAgentDir, arch string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the release's node OS and its disk image (DIR/NAME-VERSION-ARCH.raw)",
		Long: `build makes the node OS of the release (spec.os; default: Debian bookworm
with systemd, systemd-boot, the cloud kernel, containerd, runc, Ignition,
built with mmdebstrap, and the release's own deb packages installed on
top), its initramfs (slipway-init, kernel modules, Ignition), and the disk
image. Trees and slot filesystems are cached by their inputs in the cache
directory: an unchanged release rebuilds only the image file. The image is
generic (no secrets); give each node its config with 'disk personalize' or
QEMU's fw_cfg. The same SOURCE_DATE_EPOCH and inputs give the same bytes.
SLIPWAY_VERBOSE=1 shows mmdebstrap's output.`,
		Example: `  slipway disk build -f release.yaml -o out/disk
  slipway disk inspect out/disk/example-0.1.0-amd64.raw`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := loadRelease(cmd, file)
			if err != nil {
				return err
			}
			epoch, err := buildSetup(cmd, &cacheDir)
			if err != nil {
				return err
			}
			stage, err := staging.New(output)
			if err != nil {
				return err
			}
			defer stage.Abort()
			rep := progress.New(cmd.ErrOrStderr())
			debs, cleanup := releaseDebs(r, cacheDir, nodeAgentDir, epoch, rep)
			defer cleanup()
			res, err := nodeos.BuildDisk(cmd.Context(), r, arch, stage.Path, nodeos.Options{
				CacheDir: cacheDir, Epoch: epoch, Debs: debs, Log: osLog(cmd), Progress: rep,
			})
			rep.Wait()
			if err != nil {
				return err
			}
			if err := stage.Commit(); err != nil {
				return err
			}
			res.Disk.Path = filepath.Join(output, res.Files[0])
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			for _, f := range res.Files {
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n", filepath.Join(output, f))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "  version %s, kernel %s, slot a: %s %s\n", res.Version, res.Kernel, res.Disk.Slot.FS, humanBytes(res.Disk.Slot.Size))
			return nil
		},
	}
	addFileFlag(cmd, &file)
	cmd.Flags().StringVarP(&output, "output", "o", "out/disk", "output directory")
	cmd.Flags().StringVar(&arch, "arch", "amd64", "architecture (amd64; arm64 comes next)")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "cache of trees, slot filesystems and packages (default $XDG_CACHE_HOME/slipway)")
	cmd.Flags().StringVar(&nodeAgentDir, "node-agent-dir", "", "directory holding slipway-node-linux-ARCH and slipway-init-linux-ARCH (default: beside slipway)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// osLog shows mmdebstrap's output only with SLIPWAY_VERBOSE set; the
// progress display says what runs.
func osLog(cmd *cobra.Command) io.Writer {
	if os.Getenv("SLIPWAY_VERBOSE") != "" {
		return cmd.ErrOrStderr()
	}
	return nil // not a typed nil: nodeos discards output only for a nil interface
}

// releaseDebs builds the release's packages (cached) into a temporary
// directory and returns the deb files of an architecture.
func releaseDebs(r *spec.Release, cacheDir, agentDir string, epoch time.Time, rep progress.Reporter) (func(context.Context, string) ([]string, error), func()) {
	var tmp string
	return func(ctx context.Context, arch string) ([]string, error) {
			var err error
			if err := os.MkdirAll(cacheDir, 0o755); err != nil {
				return nil, err
			}
			if tmp, err = os.MkdirTemp(cacheDir, ".os-debs-"); err != nil {
				return nil, err
			}
			arts, err := packages.Build(ctx, r, tmp, packages.WithCacheDir(cacheDir), packages.WithSourceDateEpoch(epoch),
				packages.WithNodeAgent(nodeAgentFinder(agentDir)), packages.WithProgress(rep))
			if err != nil {
				return nil, err
			}
			var out []string
			for _, a := range arts {
				if a.Arch == arch && a.Format == spec.FormatDeb {
					out = append(out, filepath.Join(tmp, a.File))
				}
			}
			return out, nil
		}, func() {
			if tmp != "" {
				os.RemoveAll(tmp)
			}
		}
}

func newDiskInspectCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect IMG",
		Short: "Show a disk image's partitions, boot entries, versions and default slot",
		Example: `  slipway disk inspect out/disk/example-0.1.0-amd64.raw
  slipway disk inspect node.raw --json | jq .default`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := disk.Inspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			return printDiskInfo(cmd, info)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func printDiskInfo(cmd *cobra.Command, info *disk.Info) error {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s (%s, disk GUID %s)\n\n", info.Path, humanBytes(info.Size), info.DiskGUID)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tLABEL\tSTART\tSIZE\tFILESYSTEM")
	for _, p := range info.Partitions {
		fs := p.Filesystem.Type
		if fs == "" {
			fs = "(empty)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", p.Number, p.Label, p.Start, humanBytes(p.Size), fs)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tSLOT\tVERSION\tSTATE\tDEFAULT")
	for _, e := range info.Entries {
		def := ""
		if info.Default != nil && info.Default.File == e.File {
			def = "yes"
		}
		state := "blessed"
		if !e.Blessed {
			state = fmt.Sprintf("%d tries left", e.TriesLeft)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.File, e.Slot, e.Entry.Version, state, def)
	}
	tw.Flush()
	if info.Ignition {
		fmt.Fprintln(w, "\nslipway/config.ign is on the ESP: the next first boot applies it")
	}
	return nil
}

func newDiskPersonalizeCommand() *cobra.Command {
	var ign, output string
	cmd := &cobra.Command{
		Use:   "personalize IMG --ignition node.ign -o OUT",
		Short: "Copy a disk image with a node's Ignition config on its ESP",
		Long: `personalize writes a sparse copy of IMG to OUT with the Ignition config
as slipway/config.ign on the ESP. The node applies it on first boot (the
files stage: files, directories, links, units, users) and then deletes it
from the ESP, since it holds the node's keys. The config is validated
first (Ignition spec 3.3.0; no disks, RAID, filesystems or LUKS).`,
		Example: `  slipway ignition generate -f cluster.yaml --pki-dir pki -o ign
  slipway disk personalize out/disk/example-0.1.0-amd64.raw --ignition ign/cp1.ign -o cp1.raw`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ign == "" || output == "" {
				return &usageError{fmt.Errorf("--ignition and -o/--output are required")}
			}
			b, err := os.ReadFile(ign)
			if err != nil {
				return err
			}
			if err := ignition.Validate(b); err != nil {
				return &usageError{fmt.Errorf("%s: %w", ign, err)}
			}
			if err := disk.Personalize(cmd.Context(), args[0], output, b); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s with %s on its ESP\n", output, filepath.Base(args[0]), strings.TrimSpace(filepath.Base(ign)))
			return nil
		},
	}
	cmd.Flags().StringVar(&ign, "ignition", "", "the node's Ignition config (JSON)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "the personalized image to write")
	return cmd
}
