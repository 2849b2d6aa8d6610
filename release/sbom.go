package release

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/internal/deb822"
	"github.com/slipway-dev/slipway/internal/version"
	"github.com/slipway-dev/slipway/spec"
)

// DebPackage is a package installed in an OS tree, from dpkg's status.
type DebPackage struct {
	Name, Version, Arch, Maintainer string
}

// InstalledDebs reads the packages dpkg lists as installed in the tree
// (var/lib/dpkg/status), sorted by name.
func InstalledDebs(tree string) ([]DebPackage, error) {
	b, err := os.ReadFile(filepath.Join(tree, "var", "lib", "dpkg", "status"))
	if err != nil {
		return nil, fmt.Errorf("reading the OS's package list: %w", err)
	}
	var out []DebPackage
	for _, f := range deb822.Stanzas(string(b)) {
		if f["package"] == "" || !strings.HasSuffix(f["status"], " installed") {
			continue
		}
		out = append(out, DebPackage{Name: f["package"], Version: f["version"], Arch: f["architecture"], Maintainer: f["maintainer"]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// SPDX 2.3 documents, the part slipway writes.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string    `json:"SPDXID"`
	Name             string    `json:"name"`
	VersionInfo      string    `json:"versionInfo,omitempty"`
	Supplier         string    `json:"supplier,omitempty"`
	DownloadLocation string    `json:"downloadLocation"`
	FilesAnalyzed    bool      `json:"filesAnalyzed"`
	LicenseConcluded string    `json:"licenseConcluded"`
	LicenseDeclared  string    `json:"licenseDeclared"`
	CopyrightText    string    `json:"copyrightText"`
	Comment          string    `json:"comment,omitempty"`
	ExternalRefs     []spdxRef `json:"externalRefs,omitempty"`
}

type spdxRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

func spdxID(kind, name string) string {
	return "SPDXRef-" + kind + "-" + spdxIDUnsafe.ReplaceAllString(name, "-")
}

// SBOM returns the SPDX 2.3 JSON document of a node OS image: the OS as
// the described package, containing every Debian package installed in
// its tree (the release's own packages among them, supplied by the
// release) and the release's component binaries they carry.
func SBOM(r *spec.Release, arch, tree, slotDigest string, epoch time.Time) ([]byte, error) {
	debs, err := InstalledDebs(tree)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s-%s-%s", r.Metadata.Name, r.NodeOS().Version, arch)
	osID := spdxID("OS", name)
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT", Name: name,
		DocumentNamespace: "https://slipway.dev/spdx/" + name + "/" + strings.TrimPrefix(slotDigest, "sha256:"),
		CreationInfo:      spdxCreationInfo{Created: epoch.UTC().Format(time.RFC3339), Creators: []string{"Tool: slipway-" + version.String()}},
		Packages: []spdxPackage{{SPDXID: osID, Name: name, VersionInfo: r.NodeOS().Version, DownloadLocation: "NOASSERTION",
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			Comment: "slipway node OS image; slot filesystem " + slotDigest}},
		Relationships: []spdxRelationship{{Element: "SPDXRef-DOCUMENT", Type: "DESCRIBES", Related: osID}},
	}
	ours := map[string]bool{}
	for _, p := range r.Packages() {
		ours[p.Name] = true
	}
	for _, d := range debs {
		p := spdxPackage{SPDXID: spdxID("deb", d.Name), Name: d.Name, VersionInfo: d.Version, DownloadLocation: "NOASSERTION",
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			ExternalRefs: []spdxRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl",
				ReferenceLocator: fmt.Sprintf("pkg:deb/debian/%s@%s?arch=%s", d.Name, d.Version, d.Arch)}}}
		if ours[d.Name] {
			p.Supplier = "Organization: " + r.Metadata.Name + " (slipway release)"
			p.ExternalRefs[0].ReferenceLocator = fmt.Sprintf("pkg:deb/%s/%s@%s?arch=%s", r.Metadata.Name, d.Name, d.Version, d.Arch)
		} else if d.Maintainer != "" {
			p.Supplier = "Person: " + d.Maintainer
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, spdxRelationship{Element: osID, Type: "CONTAINS", Related: p.SPDXID})
	}
	for _, c := range r.Spec.Components {
		id := spdxID("component", c.Name)
		doc.Packages = append(doc.Packages, spdxPackage{SPDXID: id, Name: c.Name, VersionInfo: c.Version, DownloadLocation: componentSource(c, arch),
			LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			Supplier: "Organization: " + r.Metadata.Name + " (slipway release)", Comment: "binary packaged by the release",
			ExternalRefs: []spdxRef{{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl",
				ReferenceLocator: fmt.Sprintf("pkg:generic/%s@%s", c.Name, c.Version)}}})
		doc.Relationships = append(doc.Relationships, spdxRelationship{Element: osID, Type: "CONTAINS", Related: id})
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n'), err
}

// componentSource is where a component's binary for arch came from:
// https and oci sources are locations; local files are not.
func componentSource(c spec.Component, arch string) string {
	s, ok := c.Sources[arch]
	if !ok || strings.HasPrefix(s.URL, "file://") {
		return "NOASSERTION"
	}
	return s.URL
}
