package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slipway-dev/slipway/spec"
)

// Rebuild builds the release of dir again from the Release document its
// release.json names (r, loaded by the caller; its digest must match the
// recorded one), at the recorded time, into a temporary directory beside
// dir, and reports every artifact whose digest differs: the
// reproducibility check. With a fresh Options.CacheDir nothing is taken
// from earlier builds.
func Rebuild(ctx context.Context, dir string, r *spec.Release, o Options) (*Report, error) {
	rep, err := Verify(dir, nil)
	if err != nil {
		return nil, err
	}
	m := rep.Manifest
	if m == nil {
		return rep, nil
	}
	rep.Problems = nil
	digest, _, err := fileDigest(r.File())
	if err != nil {
		return nil, err
	}
	if digest != m.Spec.Digest {
		rep.problem(r.File(), "", fmt.Sprintf("the spec is %s now, the release was built from %s", digest, m.Spec.Digest))
		return rep, nil
	}
	o.Epoch = m.Created
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".rebuild-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	again, err := Build(ctx, r, filepath.Join(tmp, "release"), o)
	if err != nil {
		return nil, fmt.Errorf("rebuilding: %w", err)
	}
	built := map[string]Artifact{}
	for _, a := range again.Artifacts {
		built[a.Path] = a
	}
	for _, a := range m.Artifacts {
		b, ok := built[a.Path]
		switch {
		case !ok:
			rep.problem(a.Path, a.Path, "not built again")
		case b.Digest != a.Digest:
			rep.problem(a.Path, a.Path, fmt.Sprintf("not reproduced: %s %s rebuilt as %s, recorded %s", a.Kind, a.Name, b.Digest, a.Digest))
		}
	}
	for p := range built {
		if !hasArtifact(m, p) {
			rep.problem(p, p, "built again but not in the release")
		}
	}
	return rep, nil
}

func hasArtifact(m *Manifest, path string) bool {
	for _, a := range m.Artifacts {
		if a.Path == path {
			return true
		}
	}
	return false
}
