package repo

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"
)

// buildTime stamps the test packages and keys.
var buildTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// testPackage describes one tiny package the tests build with nfpm.
type testPackage struct {
	name, version, arch string
	dependsOn           string // a package this one needs at dependsVersion or later
	dependsVersion      string
	full                bool // add a binary, a config file, a directory and a changelog
}

// testPackages are what every test publishes: slipway-test-app depends on
// slipway-test-base and comes for two architectures; slipway-test-doc is
// architecture-independent and has a pre-release version.
var testPackages = []testPackage{
	{name: "slipway-test-base", version: "1.0.0", arch: "amd64"},
	{name: "slipway-test-app", version: "1.2.3", arch: "amd64", dependsOn: "slipway-test-base", dependsVersion: "1.0.0", full: true},
	{name: "slipway-test-app", version: "1.2.3", arch: "arm64", dependsOn: "slipway-test-base", dependsVersion: "1.0.0", full: true},
	{name: "slipway-test-doc", version: "0.1.0~rc.1", arch: "all"},
}

// buildOptions tune buildPackages.
type buildOptions struct {
	rpmKey string // armored private key file to sign .rpm files with
}

// buildPackages writes every test package in format ("deb" or "rpm") to dir
// and returns the file names, in testPackages order.
func buildPackages(t *testing.T, dir, format string, opts ...buildOptions) []string {
	t.Helper()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "payload.txt"), []byte("hello from slipway\n"))
	writeFile(t, filepath.Join(src, "app.conf"), []byte("# slipway test & config <file>\n"))
	writeFile(t, filepath.Join(src, "app.sh"), []byte("#!/bin/sh\necho slipway\n"))
	writeFile(t, filepath.Join(src, "changelog.yaml"), []byte(`- semver: 1.2.3-1
  date: 2025-01-02T03:04:05Z
  packager: Slipway Tests <test@slipway.invalid>
  changes:
    - note: second release with <markup> & more
- semver: 1.2.0-1
  date: 2024-12-01T00:00:00Z
  packager: Slipway Tests <test@slipway.invalid>
  changes:
    - note: first release
`))
	var o buildOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	var names []string
	for _, p := range testPackages {
		names = append(names, buildPackage(t, dir, format, src, p, o))
	}
	return names
}

// buildPackage builds one package with nfpm and returns its file name.
func buildPackage(t *testing.T, dir, format, src string, p testPackage, o buildOptions) string {
	t.Helper()
	info := &nfpm.Info{
		Name:        p.name,
		Arch:        p.arch,
		Platform:    "linux",
		Version:     p.version,
		Release:     "1",
		Maintainer:  "Slipway Tests <test@slipway.invalid>",
		Description: "Slipway test package " + p.name + ".\nIt holds one small file.",
		License:     "Apache-2.0",
		Section:     "admin",
		Priority:    "optional",
		MTime:       buildTime,
		Overridables: nfpm.Overridables{
			Contents: files.Contents{content(src, "payload.txt", "/usr/share/"+p.name+"/"+p.name+".txt", "", 0o644)},
			RPM:      nfpm.RPM{BuildHost: "slipway-build", Summary: "Slipway test package " + p.name},
		},
	}
	if p.full {
		info.Vendor, info.Homepage, info.RPM.Group = "slipway", "https://slipway.invalid", "System/Tools"
		info.Changelog = filepath.Join(src, "changelog.yaml")
		info.Contents = append(info.Contents,
			content(src, "app.sh", "/usr/bin/"+p.name, "", 0o755),
			content(src, "app.conf", "/etc/"+p.name+".conf", files.TypeConfigNoReplace, 0o644),
			content("", "", "/var/lib/"+p.name, files.TypeDir, 0o755),
		)
	}
	if p.dependsOn != "" {
		if format == "deb" {
			info.Depends = []string{p.dependsOn + " (>= " + p.dependsVersion + ")"}
		} else {
			info.Depends = []string{p.dependsOn + " >= " + p.dependsVersion}
		}
	}
	info.RPM.Signature.KeyFile = o.rpmKey
	info = nfpm.WithDefaults(info)
	var pkgr nfpm.Packager = deb.Default
	if format == "rpm" {
		pkgr = rpm.DefaultRPM
	}
	name := pkgr.ConventionalFileName(info)
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pkgr.Package(info, f); err != nil {
		t.Fatalf("building %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// content is one nfpm content entry; src "" means no source file.
func content(srcDir, src, dst, typ string, mode os.FileMode) *files.Content {
	c := &files.Content{Destination: dst, Type: typ, FileInfo: &files.ContentFileInfo{Mode: mode, MTime: buildTime}}
	if src != "" {
		c.Source = filepath.Join(srcDir, src)
	}
	return c
}
