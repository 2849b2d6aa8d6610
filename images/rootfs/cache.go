package rootfs

// DebianKey names a built tree by its inputs, so callers can keep trees in
// a cache directory ($XDG_CACHE_HOME/slipway/rootfs/<key>) and rebuild only
// when an input changes.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// debianRecipe versions what BuildDebian does beyond its inputs (hooks,
// mmdebstrap options): bump it whenever a change alters the trees.
const debianRecipe = 1

// DebianKey returns a content key (64 hex digits) for the tree BuildDebian
// makes from d: a sha256 over the recipe version, suite, mirror, arch, the
// sorted package list (DefaultPackages(Arch) and d.Packages) and the
// sorted digests of the local .deb files (see DebDigests; their paths are
// not keyed). Suite and Arch defaults apply; an empty Mirror is keyed as
// empty, so call Resolve first to key the host's mirror. Options
// (WithSourceDateEpoch) and the mirror's content over time are not keyed.
func DebianKey(d Debian, localDebDigests ...string) string {
	if d.Suite == "" {
		d.Suite = DefaultSuite
	}
	if d.Arch == "" {
		d.Arch = DefaultArch
	}
	pkgs := d.packages()
	slices.Sort(pkgs)
	digests := slices.Sorted(slices.Values(localDebDigests))
	b, _ := json.Marshal(struct {
		Recipe                int
		Suite, Mirror, Arch   string
		Packages, LocalDigest []string
	}{debianRecipe, d.Suite, d.Mirror, d.Arch, pkgs, digests})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DebDigests returns "sha256:<hex>" for each file, in order: what
// DebianKey takes for Debian.LocalDebs.
func DebDigests(paths ...string) ([]string, error) {
	out := make([]string, len(paths))
	for i, p := range paths {
		d, err := fileutil.SHA256(p)
		if err != nil {
			return nil, fmt.Errorf("digesting package: %w", err)
		}
		out[i] = "sha256:" + d
	}
	return out, nil
}
