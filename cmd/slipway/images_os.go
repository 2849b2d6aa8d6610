package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/images"
	"github.com/slipway-dev/slipway/images/oci"
	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/internal/staging"
)

func newImagesInspectCommand() *cobra.Command {
	var asJSON, insecure bool
	cmd := &cobra.Command{
		Use:   "inspect REF",
		Short: "Show an image or index: digest, platforms, entrypoint, annotations, layers",
		Long: `inspect reads an image or index without pulling its layers. REF is a
registry reference (HOST/REPO:TAG or @sha256:DIGEST) or a path starting
with /, ./ or ../ to an OCI layout directory (optionally PATH:REFNAME), an
OCI layout archive or a docker save tarball.`,
		Example: `  slipway images inspect ./out/images/etcd
  slipway images inspect 127.0.0.1:5000/k8s/etcd:3.4.23 --json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []oci.Option
			if insecure {
				opts = append(opts, oci.WithInsecure())
			}
			a, err := oci.Open(cmd.Context(), ".", localRef(args[0]), opts...)
			if err != nil {
				return err
			}
			defer a.Close()
			d, err := oci.Describe(a)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), d)
			}
			return printDescription(cmd, d)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the description as JSON")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
	return cmd
}

// localRef lets users type a bare existing path ("out/images/etcd").
func localRef(ref string) string {
	if oci.IsLocalRef(ref) || strings.Contains(ref, "://") {
		return ref
	}
	if pathExists(strings.SplitN(ref, ":", 2)[0]) {
		return "./" + ref
	}
	return ref
}

func printDescription(cmd *cobra.Command, d *oci.Description) error {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s\n  digest:     %s\n  media type: %s\n\n", d.Ref, d.Digest, d.MediaType)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tDIGEST\tSIZE\tLAYERS\tENTRYPOINT\tVERSION\tCREATED")
	for _, im := range d.Images {
		entry := strings.Join(append(append([]string{}, im.Entrypoint...), im.Cmd...), " ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", im.Platform, im.Digest, humanBytes(im.Size),
			len(im.Layers), entry, im.Annotations[oci.AnnotationVersion], im.Created)
	}
	return tw.Flush()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func newImagesOSCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "os",
		Short: "Pack an OS root filesystem as an OCI image, or flatten one back to a tree",
		Long: `The node OS is an OCI image (the bootc model): one layer holding the whole
root filesystem with its owners, permissions, hard links, file capabilities
and device nodes. Disk images and update payloads are made from it.

pack turns a tree or a tarball into such an image; unpack pulls one (from a
registry, a layout or an archive) and flattens its layers into a directory,
refusing unsafe entries: absolute paths, '..', links leaving the root,
oversized headers, and device nodes unless --allow-devices.`,
	}
	cmd.AddCommand(newImagesOSPackCommand(), newImagesOSUnpackCommand())
	return cmd
}

func newImagesOSPackCommand() *cobra.Command {
	var output, name, arch, version, format, push, cacheDir string
	var asJSON, insecure bool
	cmd := &cobra.Command{
		Use:   "pack ROOT",
		Short: "Pack a root filesystem tree or tarball (.tar, .tar.gz) as a one-layer OCI image",
		Example: `  slipway images os pack build/rootfs --version 1.0.0 -o out/os
  slipway images os pack rootfs.tar.gz --version 1.0.0 --push 127.0.0.1:5000/slipway/os:1.0.0`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version == "" {
				return &usageError{fmt.Errorf("--version is required")}
			}
			if format != images.FormatLayout && format != images.FormatArchive {
				return &usageError{fmt.Errorf("--format %q: want layout or archive", format)}
			}
			epoch, err := buildSetup(cmd, &cacheDir)
			if err != nil {
				return err
			}
			idx, err := images.PackOS(cmd.Context(), images.OSImage{Root: args[0], Arch: arch, Version: version, Epoch: epoch, CacheDir: cacheDir})
			if err != nil {
				return err
			}
			d, _ := idx.Digest()
			b := []images.Built{{Name: name, Tag: version, Digest: d.String(), Platforms: []string{"linux/" + arch}, Index: idx}}
			where := output
			if push != "" {
				where = push
				rep := progress.New(cmd.ErrOrStderr())
				err = images.PushTo(cmd.Context(), push, &b[0], images.PushOptions{Insecure: insecure, Progress: rep})
				rep.Wait()
				if err != nil {
					return err
				}
			} else if err := writeStaged(cmd, output, b, format, epoch); err != nil {
				return err
			}
			return reportBuilt(cmd, b, where, asJSON)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "out/os", "output directory (the image is written as DIR/NAME)")
	cmd.Flags().StringVar(&name, "name", "slipway-os", "image name in the output directory")
	cmd.Flags().StringVar(&arch, "arch", runtime.GOARCH, "architecture of the root filesystem")
	cmd.Flags().StringVar(&version, "version", "", "OS version (org.opencontainers.image.version and the tag)")
	cmd.Flags().StringVar(&format, "format", images.FormatLayout, "layout or archive")
	cmd.Flags().StringVar(&push, "push", "", "push to this reference (HOST[:PORT]/REPO:TAG) instead of writing files")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "cache for the packed layer (default $XDG_CACHE_HOME/slipway)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func newImagesOSUnpackCommand() *cobra.Command {
	var output, arch string
	var devices, insecure bool
	cmd := &cobra.Command{
		Use:   "unpack REF",
		Short: "Flatten an OS image into a directory tree (-o DIR, which must not exist)",
		Example: `  slipway images os unpack ./out/os/slipway-os -o build/rootfs
  slipway images os unpack 127.0.0.1:5000/slipway/os:1.0.0 -o build/rootfs --allow-devices`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return &usageError{fmt.Errorf("-o/--output is required")}
			}
			var opts []oci.Option
			if insecure {
				opts = append(opts, oci.WithInsecure())
			}
			if err := images.UnpackOS(cmd.Context(), localRef(args[0]), arch, output, devices, opts...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unpacked %s (linux/%s) into %s\n", args[0], arch, output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "directory to create")
	cmd.Flags().StringVar(&arch, "arch", runtime.GOARCH, "architecture to take from an index")
	cmd.Flags().BoolVar(&devices, "allow-devices", false, "create device nodes and FIFOs the image holds")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
	return cmd
}

// writeStaged writes built images into output, all or nothing.
func writeStaged(cmd *cobra.Command, output string, built []images.Built, format string, epoch time.Time) error {
	stage, err := staging.New(output)
	if err != nil {
		return err
	}
	defer stage.Abort()
	if err := images.Write(cmd.Context(), stage.Path, built, format, epoch); err != nil {
		return err
	}
	return stage.Commit()
}

func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
