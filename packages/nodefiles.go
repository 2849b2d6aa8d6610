package packages

import (
	"crypto/sha256"
	_ "embed" // nodeFiles
	"encoding/hex"
	"path"
	"slices"
	"sort"

	"github.com/slipway-dev/slipway/spec"
)

// fileSymlink is a content that is a symbolic link to its target.
const fileSymlink = "symlink"

// healthUnit is slipway-health.service, the boot's health gate.
//
//go:embed files/slipway-health.service
var healthUnit []byte

// nodeChecks are the image's default health checks.
//
//go:embed files/10-node.yaml
var nodeChecks []byte

// systemdUnitDir is where packages put systemd units.
const systemdUnitDir = "/usr/lib/systemd/system"

// nodeFiles lists the slipway-node package's files besides its binaries:
// slipway-health.service, enabled statically (boot-complete.target
// requires it, multi-user.target wants it, as relative symlinks in
// /usr/lib), and the default checks in /usr/lib/slipway/health.d.
func nodeFiles() []content {
	unit := path.Join(systemdUnitDir, "slipway-health.service")
	out := []content{
		inline(unit, healthUnit),
		inline("/usr/lib/slipway/health.d/10-node.yaml", nodeChecks),
	}
	for _, target := range []string{"boot-complete.target.requires", "multi-user.target.wants"} {
		out = append(out, content{
			Dst: path.Join(systemdUnitDir, target, "slipway-health.service"), Type: fileSymlink, Mode: 0o777,
			Target: "../slipway-health.service",
		})
	}
	return out
}

func inline(dst string, data []byte) content {
	sum := sha256.Sum256(data)
	return content{Dst: dst, Mode: 0o644, data: data, Digest: hex.EncodeToString(sum[:])}
}

// addNodeFiles adds nodeFiles to the slipway-node package, leaving any
// file the package defines itself at the same path alone.
func (j *job) addNodeFiles() {
	if j.pkg.Name != spec.PackageSlipwayNode {
		return
	}
	for _, c := range nodeFiles() {
		if !slices.ContainsFunc(j.contents, func(o content) bool { return o.Dst == c.Dst }) {
			j.contents = append(j.contents, c)
		}
	}
	sort.Slice(j.contents, func(a, b int) bool { return j.contents[a].Dst < j.contents[b].Dst })
}
