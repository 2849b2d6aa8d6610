package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/images/nodeos"
	"github.com/slipway-dev/slipway/images/payload"
	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/internal/staging"
	npayload "github.com/slipway-dev/slipway/node/payload"
	"github.com/slipway-dev/slipway/spec"
)

func newPayloadCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "payload",
		Short: "Build, push and inspect OS update payloads (OCI artifacts)",
		Long: `A payload is what a node upgrades itself with: one OCI artifact (an OCI
image manifest with artifactType ` + npayload.ArtifactType + `) holding the
release's slot filesystem, kernel and initramfs, and a metadata document
(versions, architecture, digests and sizes of the three) as its config,
with a detached OpenPGP signature over the metadata as a layer when the
release names a signing key. It lives in an OCI image layout or any OCI
registry; 'slipway-node upgrade --payload REF' installs it. The slot is
the very file the disk image holds, so installing a version and upgrading
to it give the same bytes.`,
	}
	cmd.AddCommand(newPayloadBuildCommand(), newPayloadPushCommand(), newPayloadInspectCommand())
	return cmd
}

func newPayloadBuildCommand() *cobra.Command {
	var file, output, cacheDir, nodeAgentDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the release's update payload as an OCI layout (DIR/NAME-VERSION-ARCH)",
		Long: `build makes the release's node OS as 'disk build' does (from the same
cache: an OS already built for a disk image is not built again) and writes
its update payload for each architecture the OS supports as an OCI image
layout DIR/NAME-VERSION-ARCH, whose one manifest is tagged with the OS
version. Blobs are hard links to the cached files when the output is on
the cache's filesystem. With spec.signing set, the metadata is signed with
that key. The same SOURCE_DATE_EPOCH and inputs give the same manifest
digest.`,
		Example: `  slipway payload build -f release.yaml -o out/payload
  slipway payload push --from out/payload/example-0.1.0-amd64 registry.example.com/slipway/payload:0.1.0
  skopeo inspect --raw oci:out/payload/example-0.1.0-amd64`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := loadRelease(cmd, file)
			if err != nil {
				return err
			}
			archs := payloadArchs(r)
			if len(archs) == 0 {
				return &usageError{fmt.Errorf("%s: spec.architectures has none of %v, the architectures payloads are built for", file, spec.DiskArchitectures)}
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
			opts := nodeos.Options{CacheDir: cacheDir, Epoch: epoch, Debs: debs, Log: osLog(cmd), Progress: rep}
			var built []*payload.Result
			for _, arch := range archs {
				res, err := payload.BuildRelease(cmd.Context(), r, arch, stage.Path, opts)
				if err != nil {
					rep.Wait()
					return err
				}
				res.Dir = filepath.Join(output, filepath.Base(res.Dir))
				built = append(built, res)
			}
			rep.Wait()
			if err := stage.Commit(); err != nil {
				return err
			}
			return reportPayloads(cmd.OutOrStdout(), built, asJSON)
		},
	}
	addFileFlag(cmd, &file)
	cmd.Flags().StringVarP(&output, "output", "o", "out/payload", "output directory")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "cache of trees, slot filesystems and packages (default $XDG_CACHE_HOME/slipway)")
	cmd.Flags().StringVar(&nodeAgentDir, "node-agent-dir", "", "directory holding slipway-node-linux-ARCH and slipway-init-linux-ARCH (default: beside slipway)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// payloadArchs are the release's architectures that node OS images exist for.
func payloadArchs(r *spec.Release) []string {
	var out []string
	for _, a := range spec.DiskArchitectures {
		if slices.Contains(r.Spec.Architectures, a) {
			out = append(out, a)
		}
	}
	return out
}

func reportPayloads(w io.Writer, built []*payload.Result, asJSON bool) error {
	if asJSON {
		return writeJSON(w, struct {
			Payloads []*payload.Result `json:"payloads"`
		}{built})
	}
	for _, b := range built {
		signed := "unsigned"
		if b.Signed {
			signed = "signed"
		}
		fmt.Fprintf(w, "%s\n  %s %s %s, kernel %s, slot %s %s, %s, %s\n", b.Dir, b.Metadata.Name, b.Metadata.Version,
			b.Metadata.Arch, b.Metadata.KernelVersion, b.Metadata.SlotFilesystem, humanBytes(b.Metadata.Slot.Size), signed, b.Digest)
	}
	return nil
}

func newPayloadPushCommand() *cobra.Command {
	var from string
	var insecure, asJSON bool
	cmd := &cobra.Command{
		Use:   "push --from LAYOUT REF",
		Short: "Push a payload built by 'payload build' to a registry (REF is HOST/REPO:TAG)",
		Long: `push checks the payload in the OCI layout LAYOUT (every blob against its
metadata) and copies it to REF unchanged, so its digest stays the one the
build reported; it prints the digest. Credentials come from the Docker
config, as for 'images push'. Plain HTTP is used only for registries on
loopback unless --insecure is given. Blobs the registry already has are
not uploaded again.`,
		Example: `  slipway payload push --from out/payload/example-0.1.0-amd64 127.0.0.1:5000/slipway/payload:0.1.0`,
		Args:    argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" {
				return &usageError{errors.New("--from LAYOUT is required")}
			}
			if st, err := os.Stat(from); err != nil || !st.IsDir() {
				return &usageError{fmt.Errorf("--from %s: not a directory (an OCI layout written by payload build)", from)}
			}
			opts := []payload.Option{payload.WithProgress(progress.New(cmd.ErrOrStderr()))}
			if insecure {
				opts = append(opts, payload.WithInsecure())
			}
			res, err := payload.Push(cmd.Context(), from, args[0], opts...)
			if err != nil {
				return invalidPayload(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Digest)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the payload's OCI layout (DIR/NAME-VERSION-ARCH written by payload build)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func newPayloadInspectCommand() *cobra.Command {
	var key string
	var insecure, asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect REF|LAYOUT",
		Short: "Show a payload's metadata, blobs and signature",
		Long: `inspect reads a payload's manifest, metadata and signature (not its big
blobs) from an OCI layout (DIR, or DIR:TAG) or a registry (HOST/REPO:TAG
or HOST/REPO@DIGEST) and checks that the manifest agrees with the
metadata. With --key it verifies the signature with those OpenPGP public
keys; an unsigned payload or a bad signature then exits 2.`,
		Example: `  slipway payload inspect out/payload/example-0.1.0-amd64
  slipway payload inspect 127.0.0.1:5000/slipway/payload:0.1.0 --key release.pub.asc --json`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []payload.Option
			if insecure {
				opts = append(opts, payload.WithInsecure())
			}
			if key != "" {
				b, err := os.ReadFile(key)
				if err != nil {
					return &usageError{fmt.Errorf("--key: %w", err)}
				}
				opts = append(opts, payload.WithKeyring(b))
			}
			info, err := payload.Inspect(cmd.Context(), args[0], opts...)
			if err != nil {
				return invalidPayload(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			return printPayloadInfo(cmd.OutOrStdout(), info)
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "OpenPGP public key(s) to verify the signature with (armored or binary)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// invalidPayload makes a payload that is refused exit 2.
func invalidPayload(err error) error {
	for _, s := range []error{npayload.ErrDigest, npayload.ErrSignature, npayload.ErrUnsigned, npayload.ErrArch} {
		if errors.Is(err, s) {
			return &usageError{err}
		}
	}
	return err
}

func printPayloadInfo(w io.Writer, info *payload.Info) error {
	m := info.Metadata
	fmt.Fprintf(w, "%s\n  digest      %s\n", info.Ref, info.Digest)
	fmt.Fprintf(w, "  release     %s %s (Kubernetes %s), %s\n", m.Name, m.Version, m.KubernetesVersion, m.Arch)
	fmt.Fprintf(w, "  kernel      %s\n  slot        %s\n", m.KernelVersion, m.SlotFilesystem)
	if m.Cmdline != "" {
		fmt.Fprintf(w, "  cmdline     %s\n", m.Cmdline)
	}
	sig := "none"
	switch {
	case info.Verified:
		sig = "signed, verified"
	case info.Signed:
		sig = "signed (not verified: no --key)"
	}
	fmt.Fprintf(w, "  signature   %s\n\n", sig)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BLOB\tSIZE\tDIGEST\tMEDIA TYPE")
	for _, b := range info.Blobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Name, humanBytes(b.Size), b.Digest, b.MediaType)
	}
	return tw.Flush()
}
