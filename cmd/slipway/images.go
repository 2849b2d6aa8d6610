package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/images"
	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/sources"
)

// imageFlags are shared by images build and push.
type imageFlags struct {
	file, cacheDir string
	asJSON         bool
}

func (f *imageFlags) register(cmd *cobra.Command) {
	addFileFlag(cmd, &f.file)
	cmd.Flags().StringVar(&f.cacheDir, "cache-dir", "", "content-addressed cache of downloads (default $XDG_CACHE_HOME/slipway)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the result as JSON")
}

// build loads the release and builds its images.
// It returns the images and the epoch they are stamped with.
func (f *imageFlags) build(cmd *cobra.Command) ([]images.Built, time.Time, error) {
	r, err := loadRelease(cmd, f.file)
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(r.Images()) == 0 {
		return nil, time.Time{}, &usageError{fmt.Errorf("%s declares no images (spec.images, or a control-plane component)", f.file)}
	}
	cache := f.cacheDir
	epoch, err := buildSetup(cmd, &cache)
	if err != nil {
		return nil, time.Time{}, err
	}
	rep := progress.New(cmd.ErrOrStderr())
	defer rep.Wait()
	built, err := images.Build(cmd.Context(), r, images.Options{
		Epoch: epoch, Fetcher: &sources.Fetcher{CacheDir: cache}, Debs: images.AptDownload(cache),
		Revision: gitRevision(filepath.Dir(r.File())), Progress: rep,
	})
	return built, epoch, err
}

func (f *imageFlags) report(cmd *cobra.Command, built []images.Built, where string) error {
	return reportBuilt(cmd, built, where, f.asJSON)
}

// reportBuilt prints the images' summary table, or JSON.
func reportBuilt(cmd *cobra.Command, built []images.Built, where string, asJSON bool) error {
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), struct {
			Images []images.Built `json:"images"`
		}{built})
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tTAG\tPLATFORMS\tDIGEST\tWHERE")
	for _, b := range built {
		loc := where + "/" + b.Name
		if len(b.Pushed) > 0 {
			loc = b.Pushed[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", b.Name, b.Tag, len(b.Platforms), b.Digest, loc)
	}
	return tw.Flush()
}

func newImagesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Build multi-arch OCI images from the release's components",
		Long: `images builds, without a container engine, the images spec.images names:
a component's binaries in /usr/local/bin, over a distroless-style base made
from Debian packages (spec.images[].base.debian, e.g. [libc6] for
dynamically linked binaries; downloaded with apt-get download, never
installed) or over nothing, one image per architecture of the release in
one OCI index. Layers are deterministic (sorted entries, times from
SOURCE_DATE_EPOCH, numeric owners): the same inputs give the same digest.`,
	}
	cmd.AddCommand(newImagesBuildCommand(), newImagesPushCommand(), newImagesInspectCommand(), newImagesOSCommand())
	return cmd
}

func newImagesBuildCommand() *cobra.Command {
	var f imageFlags
	var output, format string
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Write each image index as an OCI layout in DIR/NAME (or an archive DIR/NAME.tar)",
		Example: `  slipway images build -f release.yaml -o out/images
  slipway images build -f release.yaml -o out/images --format archive
  skopeo inspect --raw oci:out/images/etcd`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != images.FormatLayout && format != images.FormatArchive {
				return &usageError{fmt.Errorf("--format %q: want layout or archive", format)}
			}
			built, epoch, err := f.build(cmd)
			if err != nil {
				return err
			}
			if err := writeStaged(cmd, output, built, format, epoch); err != nil {
				return err
			}
			return f.report(cmd, built, output)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "out/images", "output directory")
	cmd.Flags().StringVar(&format, "format", images.FormatLayout, "layout: an OCI image layout directory DIR/NAME; archive: an OCI layout archive DIR/NAME.tar (skopeo's oci-archive:)")
	return cmd
}

func newImagesPushCommand() *cobra.Command {
	var f imageFlags
	var registry, from string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Push each image index to REGISTRY/NAME:TAG",
		Long: `push builds the images and pushes each index to --registry
HOST[:PORT]/PREFIX as PREFIX/NAME:TAG. Credentials come from the Docker
config (~/.docker/config.json) and credential helpers, as crane uses them.
Plain HTTP is used only for registries on loopback (127.0.0.1, localhost)
unless --insecure is given. Blobs the registry already has are not
uploaded again, and an index the registry already holds under its tag
costs one request.

With --from DIR, push pushes the layouts an earlier ` + "`images build -o DIR`" + `
wrote (DIR/NAME, tagged with their ref name) instead of building: the
bytes that were built and checked are the bytes published.`,
		Example: `  slipway images push -f release.yaml --registry 127.0.0.1:5000/k8s
  slipway images build -f release.yaml -o out/images
  slipway images push --from out/images --registry registry.example.com/k8s`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if registry == "" {
				return &usageError{fmt.Errorf("--registry is required")}
			}
			var built []images.Built
			var err error
			if from != "" {
				built, err = images.ReadLayouts(from)
			} else {
				built, _, err = f.build(cmd)
			}
			if err != nil {
				return err
			}
			rep := progress.New(cmd.ErrOrStderr())
			err = images.Push(cmd.Context(), registry, built, images.PushOptions{Insecure: insecure, Progress: rep})
			rep.Wait()
			if err != nil {
				return err
			}
			return f.report(cmd, built, registry)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&registry, "registry", "", "HOST[:PORT]/PREFIX to push to")
	cmd.Flags().StringVar(&from, "from", "", "push the OCI layouts in this directory (written by images build) instead of building")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
	return cmd
}

// gitRevision is the commit of the git work tree holding dir, or "" when
// there is none (the annotation is then left out).
func gitRevision(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--verify", "-q", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
