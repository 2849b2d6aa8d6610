package packages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/slipway-dev/slipway/spec"
)

// build fetches inputs, plans the jobs and builds them in parallel into dir.
func build(ctx context.Context, r *spec.Release, o *options, dir string) ([]Artifact, error) {
	in, err := fetchInputs(ctx, r, o)
	if err != nil {
		return nil, err
	}
	jobs, err := plan(r, in, o.epoch)
	if err != nil {
		return nil, err
	}
	c := &cache{dir: filepath.Join(o.cacheDir, "packages")}
	arts := make([]Artifact, len(jobs))
	stage := o.progress.Stage("building packages", len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.parallel)
	for i, j := range jobs {
		g.Go(func() error {
			a, err := buildJob(gctx, j, o, c, dir)
			if err != nil {
				stage.Abort()
				return fmt.Errorf("building %s: %w", j.name(), err)
			}
			arts[i] = a
			msg := a.File
			if a.Cached {
				msg += " (cached)"
			}
			stage.Step(msg)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	_ = in.digests.save() // the memo only saves hashing next time
	sort.SliceStable(arts, func(a, b int) bool {
		x, y := arts[a], arts[b]
		if x.Package != y.Package {
			return x.Package < y.Package
		}
		if x.Arch != y.Arch {
			return x.Arch < y.Arch
		}
		return x.Format < y.Format
	})
	return arts, nil
}

// buildJob takes the package from the cache, or builds and caches it, and
// links it into dir.
func buildJob(ctx context.Context, j *job, o *options, c *cache, dir string) (Artifact, error) {
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	key, err := j.key(o)
	if err != nil {
		return Artifact{}, err
	}
	a, ok := c.get(key)
	if ok {
		a.Cached = true
	} else {
		if a, err = c.put(key, func(tmpDir string) (Artifact, error) { return j.build(o, tmpDir) }); err != nil {
			return Artifact{}, err
		}
	}
	if err := linkOrCopy(c.path(key, a.File), filepath.Join(dir, a.File)); err != nil {
		return Artifact{}, fmt.Errorf("writing %s: %w", a.File, err)
	}
	return a, nil
}

// linkOrCopy hard-links src to dst, copying when links are not possible
// (another filesystem).
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
