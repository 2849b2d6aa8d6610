package release

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/slipway-dev/slipway/spec"
)

// Plan returns the build graph of a release: the packages and their
// repositories, the container images, and for each architecture disk
// images are made for, the node OS (rootfs, slot filesystem, initramfs;
// it installs the release's packages), then its disk image, its OS image
// (the tree as an OCI image), its update payload and its SPDX SBOM. Plan does no I/O.
func Plan(r *spec.Release) Graph {
	name := r.Metadata.Name
	nos := r.NodeOS()
	minor := "v" + r.Spec.KubernetesVersion
	if k, err := spec.ParseVersion(r.Spec.KubernetesVersion); err == nil {
		minor = "v" + k.MinorString() // as packages.Publish names the repositories
	}
	g := Graph{Steps: []Step{{
		ID: "packages", From: fmt.Sprintf("%d components of %s", len(r.Spec.Components), r.File()),
		To: "repo/" + minor + "/{deb,rpm}", run: buildPackages,
	}}}
	if imgs := r.Images(); len(imgs) > 0 {
		var names []string
		for _, i := range imgs {
			names = append(names, i.Name)
		}
		g.Steps = append(g.Steps, Step{ID: "images", From: "components " + strings.Join(names, ", "),
			To: "images/{" + strings.Join(names, ",") + "}", run: buildImages})
	}
	for _, arch := range OSArchitectures(r) {
		osID := "os/" + arch
		g.Steps = append(g.Steps,
			Step{ID: osID, Needs: []string{"packages"}, From: "rootfs " + rootfsSource(nos) + " + the release's debs",
				To: "(cache: tree, slot filesystem, initramfs)", run: buildOS(arch)},
			Step{ID: "disk/" + arch, Needs: []string{osID}, From: osID,
				To: fmt.Sprintf("%s/disk/%s-%s-%s.raw", arch, name, nos.Version, arch), run: buildDisk(arch)},
			Step{ID: "osimage/" + arch, Needs: []string{osID}, From: osID + ": the root filesystem tree",
				To: fmt.Sprintf("%s/os/%s-%s-%s", arch, name, nos.Version, arch), run: buildOSImage(arch)},
			Step{ID: "payload/" + arch, Needs: []string{osID}, From: osID,
				To: fmt.Sprintf("%s/payload/%s-%s-%s", arch, name, nos.Version, arch), run: buildPayload(arch)},
			Step{ID: "sbom/" + arch, Needs: []string{osID}, From: osID + ": dpkg's package list and the release's components",
				To: fmt.Sprintf("%s/sbom/%s-%s-%s.spdx.json", arch, name, nos.Version, arch), run: buildSBOM(arch)},
		)
	}
	return g
}

// OSArchitectures are the release's architectures that node OS disk
// images and payloads are built for.
func OSArchitectures(r *spec.Release) []string {
	var out []string
	for _, a := range spec.DiskArchitectures {
		if slices.Contains(r.Spec.Architectures, a) {
			out = append(out, a)
		}
	}
	return out
}

func rootfsSource(nos spec.OS) string {
	switch rf := nos.Rootfs; {
	case rf.Image != "":
		return "image " + rf.Image
	case rf.Tarball != "":
		return "tarball " + rf.Tarball
	case rf.Directory != "":
		return "directory " + rf.Directory
	}
	return "debian"
}

// PrintPlan writes the graph in run order: each step, what it builds
// from and where its output goes.
func PrintPlan(w io.Writer, g Graph, dir string) error {
	order, err := g.Order()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "release into %s (%d steps):\n", dir, len(order))
	for i, id := range order {
		s, _ := g.step(id)
		needs := ""
		if len(s.Needs) > 0 {
			needs = " (after " + strings.Join(s.Needs, ", ") + ")"
		}
		fmt.Fprintf(w, "%2d. %-14s %s%s\n       -> %s\n", i+1, s.ID, s.From, needs, s.To)
	}
	fmt.Fprintf(w, "then: %s, %s (and %s when spec.signing is set)\n", ManifestFile, SumsFile, SumsSignature)
	return nil
}
