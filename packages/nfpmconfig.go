package packages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"
	"go.yaml.in/yaml/v3"

	"github.com/slipway-dev/slipway/spec"
)

// NFPMConfig is one nfpm configuration written by WriteNFPMConfigs: what
// `nfpm package --config Config --packager Packager --target DIR/File`
// needs to build the package slipway builds for the same job.
type NFPMConfig struct {
	Package string `json:"package"`
	Arch    string `json:"arch"`
	// Packager is nfpm's packager name: deb or rpm.
	Packager string `json:"packager"`
	// Config is the absolute path of the nfpm YAML file.
	Config string `json:"config"`
	// File is the file name slipway gives the package (nfpm's
	// conventional file name).
	File string `json:"file"`
}

// ErrNotExpressible is returned by WriteNFPMConfigs when a package cannot
// be described by an nfpm configuration file with the same result.
var ErrNotExpressible = errors.New("not expressible as an nfpm configuration")

// WriteNFPMConfigs plans the release exactly like Build (same inputs,
// contents, modes, dependencies, scripts, compression and file times) and
// writes, for every package, architecture and format, an nfpm YAML
// configuration that makes the nfpm command build the same package. Each
// job gets its own directory under dir, named PACKAGE_ARCH_FORMAT, holding
// nfpm.yaml and the files nfpm reads by path that slipway holds inline
// (inline contents and scripts). Every path in the configurations is
// absolute. Nothing is built and the package cache is not used (component
// sources are fetched through it, as for Build).
//
// When the spec names a signing key, the configurations name it as
// key_file for deb and rpm signatures; nfpm then reads its passphrase from
// NFPM_PASSPHRASE, and stamps signatures with the current time rather
// than the source date epoch. A signer given with WithSigner cannot be
// written into a configuration: WriteNFPMConfigs returns ErrNotExpressible.
func WriteNFPMConfigs(ctx context.Context, r *spec.Release, dir string, opts ...Option) ([]NFPMConfig, error) {
	probe := &options{}
	for _, opt := range opts {
		if err := opt(probe); err != nil {
			return nil, err
		}
	}
	if probe.signer != nil {
		return nil, fmt.Errorf("a signer given with WithSigner is %w (name the key in the spec)", ErrNotExpressible)
	}
	o, err := newOptions(r, opts)
	if err != nil {
		return nil, err
	}
	keyFile := ""
	if r.Spec.Signing != nil {
		keyFile = r.Spec.Signing.OpenPGPKey
		if !filepath.IsAbs(keyFile) {
			keyFile = filepath.Join(filepath.Dir(r.File()), keyFile)
		}
		if keyFile, err = filepath.Abs(keyFile); err != nil {
			return nil, err
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	in, err := fetchInputs(ctx, r, o)
	if err != nil {
		return nil, err
	}
	jobs, err := plan(r, in, o.epoch)
	if err != nil {
		return nil, err
	}
	out := make([]NFPMConfig, 0, len(jobs))
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := j.writeNFPMConfig(o, filepath.Join(dir, j.pkg.Name+"_"+j.arch+"_"+j.format), keyFile)
		if err != nil {
			return nil, fmt.Errorf("nfpm configuration for %s: %w", j.name(), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// writeNFPMConfig writes the job's nfpm configuration into dir.
func (j *job) writeNFPMConfig(o *options, dir, keyFile string) (NFPMConfig, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return NFPMConfig{}, err
	}
	// The signer, if any, is expressed as key_file below, not as SignFn.
	unsigned := *o
	unsigned.signer = nil
	info, err := j.info(&unsigned, dir, &signRecord{})
	if err != nil {
		return NFPMConfig{}, err
	}
	// slipway hands nfpm the version as written; the nfpm command would
	// otherwise parse it as semver and could split it differently.
	info.VersionSchema = "none"
	if err := checkNoEnvExpansion(info); err != nil {
		return NFPMConfig{}, err
	}
	for _, c := range info.Contents {
		if c.Source != "" && c.Type != files.TypeSymlink && !filepath.IsAbs(c.Source) {
			if c.Source, err = filepath.Abs(c.Source); err != nil {
				return NFPMConfig{}, err
			}
		}
	}
	if keyFile != "" {
		info.Deb.Signature.KeyFile = keyFile
		info.RPM.Signature.KeyFile = keyFile
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&nfpm.Config{Info: *info}); err != nil {
		return NFPMConfig{}, fmt.Errorf("encoding: %w", err)
	}
	if err := enc.Close(); err != nil {
		return NFPMConfig{}, fmt.Errorf("encoding: %w", err)
	}
	cfg := filepath.Join(dir, "nfpm.yaml")
	header := fmt.Sprintf("# nfpm configuration for %s, written by slipway: equivalent to `slipway packages build`.\n", j.name())
	if err := os.WriteFile(cfg, append([]byte(header), buf.Bytes()...), 0o644); err != nil {
		return NFPMConfig{}, err
	}
	// The file name is taken last: nfpm's packagers may adjust a copy of
	// the info (deb architecture names) when naming.
	name := packagers[j.format].ConventionalFileName(info)
	return NFPMConfig{Package: j.pkg.Name, Arch: j.arch, Packager: j.format, Config: cfg, File: name}, nil
}

// checkNoEnvExpansion fails when a field that the nfpm command expands
// environment variables in ($VAR, ${VAR}) holds a '$': nfpm would change
// it, and there is no escape.
func checkNoEnvExpansion(info *nfpm.Info) error {
	fields := map[string]string{
		"name": info.Name, "version": info.Version, "release": info.Release, "prerelease": info.Prerelease,
		"platform": info.Platform, "arch": info.Arch, "homepage": info.Homepage, "maintainer": info.Maintainer,
		"vendor": info.Vendor, "description": info.Description,
	}
	for _, lists := range [][]string{info.Depends, info.Recommends, info.Replaces, info.Provides, info.Suggests, info.Conflicts} {
		for _, d := range lists {
			fields["dependency "+d] = d
		}
	}
	for name, v := range fields {
		if strings.Contains(v, "$") {
			return fmt.Errorf("%s holds '$', which nfpm expands as an environment variable: %w", name, ErrNotExpressible)
		}
	}
	return nil
}
