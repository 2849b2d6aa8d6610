package packages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-dev/slipway/internal/staging"
	"github.com/slipway-dev/slipway/packages/repo"
	"github.com/slipway-dev/slipway/spec"
)

// Repository is one published repository.
type Repository struct {
	Format string `json:"format"`
	// Dir is the repository root, e.g. out/v1.32/deb.
	Dir string `json:"dir"`
	// Packages counts the packages indexed, earlier releases included.
	Packages int  `json:"packages"`
	Signed   bool `json:"signed"`
}

// Publish builds the release's packages and publishes them under outDir
// as a flat apt repository (v1.NN/deb/) and a yum repository
// (v1.NN/rpm/) for the release's Kubernetes minor, like pkgs.k8s.io.
// Packages of earlier releases already in those repositories are kept.
// Nothing changes in outDir unless every step succeeds.
func Publish(ctx context.Context, r *spec.Release, outDir string, opts ...Option) ([]Artifact, []Repository, error) {
	o, err := newOptions(r, opts)
	if err != nil {
		return nil, nil, err
	}
	k8s, err := spec.ParseVersion(r.Spec.KubernetesVersion)
	if err != nil {
		return nil, nil, err
	}
	stage, err := staging.New(outDir)
	if err != nil {
		return nil, nil, err
	}
	defer stage.Abort()
	built := filepath.Join(stage.Path, ".packages")
	if err := os.Mkdir(built, 0o755); err != nil {
		return nil, nil, err
	}
	arts, err := build(ctx, r, o, built)
	if err != nil {
		return nil, nil, err
	}
	minor := "v" + k8s.MinorString()
	var repos []Repository
	for _, format := range []string{spec.FormatDeb, spec.FormatRPM} {
		rel := filepath.Join(minor, format)
		n, err := assemble(filepath.Join(outDir, rel), filepath.Join(stage.Path, rel), built, arts, format)
		if err != nil {
			return nil, nil, err
		}
		if n == 0 {
			continue
		}
		if err := writeIndex(ctx, filepath.Join(stage.Path, rel), format, o); err != nil {
			return nil, nil, err
		}
		repos = append(repos, Repository{Format: format, Dir: filepath.Join(outDir, rel), Packages: n, Signed: o.signer != nil})
	}
	if err := os.RemoveAll(built); err != nil {
		return nil, nil, err
	}
	if err := stage.Commit(); err != nil {
		return nil, nil, err
	}
	return arts, repos, nil
}

// assemble links the repository's existing packages and the new ones of
// one format into dst, returning how many it holds.
func assemble(existing, dst, built string, arts []Artifact, format string) (int, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return 0, err
	}
	n := 0
	old, _ := filepath.Glob(filepath.Join(existing, "*."+format))
	for _, p := range old {
		if err := linkOrCopy(p, filepath.Join(dst, filepath.Base(p))); err != nil {
			return 0, fmt.Errorf("keeping %s: %w", p, err)
		}
		n++
	}
	for _, a := range arts {
		if a.Format != format {
			continue
		}
		target := filepath.Join(dst, a.File)
		if _, err := os.Lstat(target); err == nil {
			os.Remove(target) // rebuilt: the new file replaces the old
			n--
		}
		if err := linkOrCopy(filepath.Join(built, a.File), target); err != nil {
			return 0, fmt.Errorf("adding %s: %w", a.File, err)
		}
		n++
	}
	return n, nil
}

func writeIndex(ctx context.Context, dir, format string, o *options) error {
	ro := repo.Options{Signer: o.signer, Date: o.epoch, Origin: "slipway", Label: "slipway",
		Description: "slipway Kubernetes packages " + strings.TrimPrefix(filepath.Base(filepath.Dir(dir)), "v")}
	var err error
	if format == spec.FormatDeb {
		err = repo.WriteAPT(ctx, dir, ro)
	} else {
		err = repo.WriteYUM(ctx, dir, ro)
	}
	if err != nil {
		return fmt.Errorf("writing %s repository index: %w", format, err)
	}
	return nil
}
