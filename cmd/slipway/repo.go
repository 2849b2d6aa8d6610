package main

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/packages"
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
			r, err := f.load(cmd)
			if err != nil {
				return err
			}
			opts, rep, err := f.options(cmd)
			if err != nil {
				return err
			}
			arts, repos, err := packages.Publish(cmd.Context(), r, f.output, opts...)
			rep.Wait()
			if err != nil {
				return err
			}
			return report(cmd, f.asJSON, f.output, arts, repos)
		},
	}
	f.register(cmd)
	return cmd
}
