package packages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"

	"github.com/slipway-dev/slipway/spec"
)

// packagers are the nfpm backends slipway uses, chosen explicitly rather
// than through nfpm's global registry.
var packagers = map[string]nfpm.Packager{
	spec.FormatDeb: deb.Default,
	spec.FormatRPM: rpm.DefaultRPM,
}

// build runs nfpm for the job, writing the package into dir.
func (j *job) build(o *options, dir string) (Artifact, error) {
	rec := &signRecord{}
	info, err := j.info(o, dir, rec)
	if err != nil {
		return Artifact{}, err
	}
	packager := packagers[j.format]
	if err := nfpm.PrepareForPackager(info, j.format); err != nil {
		return Artifact{}, fmt.Errorf("preparing contents: %w", err)
	}
	name := packager.ConventionalFileName(info)
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return Artifact{}, err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = j.packageWith(packager, info, cw, o, rec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Artifact{}, fmt.Errorf("packaging with nfpm: %w", err)
	}
	a := Artifact{
		Package: j.pkg.Name, Version: info.Version, Arch: j.arch, Format: j.format, File: name,
		Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil)), Signed: rec.digest != "",
	}
	a.ContentSHA256 = a.SHA256
	if rec.digest != "" {
		a.ContentSHA256 = rec.digest
	}
	return a, nil
}

// packageWith runs the packager. Debs are written by nfpm with an
// uncompressed payload, then compressed and signed by recompressDeb.
func (j *job) packageWith(packager nfpm.Packager, info *nfpm.Info, w io.Writer, o *options, rec *signRecord) error {
	if j.format != spec.FormatDeb {
		return packager.Package(info, w)
	}
	info.Deb.Compression = "none"
	var raw bytes.Buffer
	if err := packager.Package(info, &raw); err != nil {
		return err
	}
	var sign func(io.Reader) ([]byte, error)
	if o.signer != nil && o.debsig {
		sign = func(r io.Reader) ([]byte, error) { return o.signer.DetachSignArmored(rec.tee(r)) }
	}
	return recompressDeb(raw.Bytes(), w, o.epoch, sign)
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// info translates the job into nfpm's package description. Inline
// contents and scripts are written to files in dir first.
func (j *job) info(o *options, dir string, rec *signRecord) (*nfpm.Info, error) {
	p := j.pkg
	contents, err := j.nfpmContents(o, dir)
	if err != nil {
		return nil, err
	}
	scripts, err := writeScripts(p.Scripts, dir)
	if err != nil {
		return nil, err
	}
	depends := formatDepends(p.FormatDepends(j.format), j.format)
	if j.libc && !slices.ContainsFunc(depends, func(d string) bool { return strings.HasPrefix(d, "libc6") }) {
		depends = append(depends, "libc6")
	}
	info := &nfpm.Info{
		Name: p.Name, Arch: j.arch, Platform: "linux",
		Version: p.Version, Release: p.Revision, Section: p.Section, Priority: "optional",
		Maintainer: p.Maintainer, Description: description(p), Vendor: "slipway",
		Homepage: p.Homepage, License: p.License, MTime: o.epoch,
		Overridables: nfpm.Overridables{
			Umask:      0o022,
			Depends:    depends,
			Recommends: formatDepends(p.Recommends, j.format),
			Contents:   contents,
			Scripts:    scripts,
			RPM: nfpm.RPM{
				Summary: p.Summary, Group: "System/Management", Compression: Compression, BuildHost: "slipway",
			},
			Deb: nfpm.Deb{Compression: Compression},
		},
	}
	if o.signer != nil && j.format == spec.FormatRPM {
		signRPM(o, info, rec)
	}
	return info, nil
}

// description is the deb convention: summary line, then the long text.
func description(p spec.Package) string {
	if p.Description == "" {
		return p.Summary
	}
	return p.Summary + "\n" + p.Description
}

func (j *job) nfpmContents(o *options, dir string) (files.Contents, error) {
	var out files.Contents
	for i, c := range j.contents {
		fi := &files.ContentFileInfo{Owner: "root", Group: "root", Mode: c.Mode, MTime: o.epoch}
		nc := &files.Content{Destination: c.Dst, FileInfo: fi, Source: c.src}
		switch c.Type {
		case spec.FileDir:
			nc.Type = files.TypeDir
		case spec.FileConfig:
			nc.Type = files.TypeConfigNoReplace
		case fileSymlink:
			nc.Type, nc.Source = files.TypeSymlink, c.Target
		}
		if c.data != nil {
			nc.Source = filepath.Join(dir, fmt.Sprintf(".content-%d", i))
			if err := os.WriteFile(nc.Source, c.data, 0o644); err != nil {
				return nil, err
			}
		}
		out = append(out, nc)
	}
	return out, nil
}

func writeScripts(s *spec.Scripts, dir string) (nfpm.Scripts, error) {
	var out nfpm.Scripts
	if s == nil {
		return out, nil
	}
	for _, sc := range []struct {
		name, body string
		dst        *string
	}{
		{"preinst", s.PreInstall, &out.PreInstall}, {"postinst", s.PostInstall, &out.PostInstall},
		{"prerm", s.PreRemove, &out.PreRemove}, {"postrm", s.PostRemove, &out.PostRemove},
	} {
		if sc.body == "" {
			continue
		}
		p := filepath.Join(dir, ".script-"+sc.name)
		body := sc.body
		if !strings.HasPrefix(body, "#!") {
			body = "#!/bin/sh\nset -e\n" + body
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			return out, err
		}
		*sc.dst = p
	}
	return out, nil
}

// formatDepends writes "name >= 1.2" as "name (>= 1.2)" for debs.
func formatDepends(deps []string, format string) []string {
	out := make([]string, 0, len(deps))
	for _, d := range deps {
		m := dependParts(d)
		switch {
		case m == nil || m[2] == "":
			out = append(out, strings.TrimSpace(d))
		case format == spec.FormatDeb:
			op := m[2]
			if op == ">" {
				op = ">>"
			} else if op == "<" {
				op = "<<"
			}
			out = append(out, fmt.Sprintf("%s (%s %s)", m[1], op, m[3]))
		default:
			op := m[2]
			if op == ">>" || op == "<<" {
				op = op[:1]
			}
			out = append(out, fmt.Sprintf("%s %s %s", m[1], op, m[3]))
		}
	}
	return out
}

// signRPM makes nfpm sign rpms deterministically: the signer stamps signatures
// with SOURCE_DATE_EPOCH. The digest of what is signed is kept as the
// package's content digest.
func signRPM(o *options, info *nfpm.Info, rec *signRecord) {
	info.RPM.Signature.SignFn = func(r io.Reader) ([]byte, error) {
		return o.signer.DetachSign(rec.tee(r))
	}
}

// signRecord remembers the digest of the largest content signed: the
// whole package for debs, header and payload for rpms.
type signRecord struct {
	mu     sync.Mutex
	size   int64
	digest string
}

func (s *signRecord) tee(r io.Reader) io.Reader {
	var buf bytes.Buffer
	n, _ := io.Copy(&buf, r)
	sum := sha256.Sum256(buf.Bytes())
	s.mu.Lock()
	if n >= s.size {
		s.size, s.digest = n, hex.EncodeToString(sum[:])
	}
	s.mu.Unlock()
	return &buf
}

func dependParts(d string) []string { return spec.DependParts(strings.TrimSpace(d)) }
