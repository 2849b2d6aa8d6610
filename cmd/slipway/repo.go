package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/spec"
)

func newPackagesRepoCommand() *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Publish the packages as apt and yum repositories per Kubernetes minor",
		Long: `repo builds the release's packages (from the cache when unchanged) and
publishes them like pkgs.k8s.io, one pair of repositories per Kubernetes
minor:

  OUT/v1.32/deb/   flat apt repository: *.deb, Packages, Packages.gz,
                   Release, InRelease, Release.gpg, Release.key
  OUT/v1.32/rpm/   yum repository: *.rpm, repodata/repomd.xml,
                   repomd.xml.asc, repomd.xml.key

Packages already in the repository (earlier patch releases) are kept and
indexed again. With signing set in the spec, the metadata is signed with
that key; clients pin it:

  deb [signed-by=/etc/apt/keyrings/slipway.gpg] https://HOST/v1.32/deb/ /

  [slipway]
  baseurl=https://HOST/v1.32/rpm/
  gpgcheck=1
  repo_gpgcheck=1
  gpgkey=https://HOST/v1.32/rpm/repodata/repomd.xml.key`,
		Example: `  slipway packages repo -f examples/release.yaml -o out/repo`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, r *spec.Release, opts []packages.Option) ([]packages.Artifact, []packages.Repository, error) {
				return packages.Publish(ctx, r, f.output, opts...)
			})
		},
	}
	f.register(cmd)
	return cmd
}
