package repo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"path/filepath"
	"slices"
	"strings"
)

// APT metadata file names, all at the repository root.
const (
	aptPackages   = "Packages"
	aptPackagesGz = "Packages.gz"
	aptRelease    = "Release"
	aptInRelease  = "InRelease"
	aptReleaseGPG = "Release.gpg"
	aptReleaseKey = "Release.key"
)

// WriteAPT publishes the .deb files in dir as a flat apt repository:
// Packages, Packages.gz and Release at dir's root and, with a Signer,
// InRelease (clearsigned Release), Release.gpg (armored detached signature;
// apt rejects binary ones) and Release.key (the armored public key).
// Packages lists each package with "Filename: ./NAME.deb", as
// dpkg-scanpackages does for flat repositories, sorted by name, version,
// architecture and file name. Clients use it as
//
//	deb [signed-by=/etc/apt/keyrings/KEY.gpg] https://HOST/PATH/ /
//
// where KEY.gpg is Signer.PublicKey (or Release.key through gpg --dearmor).
func WriteAPT(ctx context.Context, dir string, o Options) error {
	if err := writeAPT(ctx, dir, o); err != nil {
		return fmt.Errorf("publishing apt repository %s: %w", dir, err)
	}
	return nil
}

func writeAPT(ctx context.Context, dir string, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	debs, err := scanDebs(ctx, dir)
	if err != nil {
		return err
	}
	files, err := aptFiles(debs, o)
	if err != nil {
		return err
	}
	if err := publish(ctx, dir, files); err != nil {
		return err
	}
	if o.Signer == nil {
		return removeStale(dir, aptInRelease, aptReleaseGPG, aptReleaseKey)
	}
	return nil
}

// scanDebs reads every .deb in dir, sorted for the Packages index.
func scanDebs(ctx context.Context, dir string) ([]*debFile, error) {
	names, err := listPackages(dir, ".deb")
	if err != nil {
		return nil, err
	}
	debs := make([]*debFile, 0, len(names))
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := readDeb(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", n, err)
		}
		debs = append(debs, d)
	}
	slices.SortFunc(debs, func(a, b *debFile) int {
		return cmp.Or(
			strings.Compare(a.control.get("Package"), b.control.get("Package")),
			compareDebVersions(a.control.get("Version"), b.control.get("Version")),
			strings.Compare(a.control.get("Architecture"), b.control.get("Architecture")),
			strings.Compare(a.name, b.name),
		)
	})
	return debs, nil
}

// aptFiles renders the metadata for debs, in the order they must be renamed
// into place: indexes first, then Release and its signatures.
func aptFiles(debs []*debFile, o Options) ([]file, error) {
	packages := packagesIndex(debs)
	packagesGz, err := gzipBytes(packages)
	if err != nil {
		return nil, err
	}
	release := releaseFile(o, architectures(debs), []file{
		{aptPackages, packages}, {aptPackagesGz, packagesGz},
	})
	files := []file{{aptPackages, packages}, {aptPackagesGz, packagesGz}}
	if o.Signer == nil {
		return append(files, file{aptRelease, release}), nil
	}
	// apt (2.6) rejects a binary Release.gpg with NODATA: it must be armored.
	detached, err := o.Signer.DetachSignArmored(bytes.NewReader(release))
	if err != nil {
		return nil, fmt.Errorf("signing Release: %w", err)
	}
	inRelease, err := o.Signer.ClearSign(release)
	if err != nil {
		return nil, fmt.Errorf("signing InRelease: %w", err)
	}
	return append(files,
		file{aptReleaseKey, o.Signer.PublicKeyArmored()},
		file{aptRelease, release},
		file{aptReleaseGPG, detached},
		file{aptInRelease, inRelease},
	), nil
}

// packagesIndex renders the Packages file: each .deb's control fields plus
// its location, size and checksums, in dpkg's field order.
func packagesIndex(debs []*debFile) []byte {
	var buf bytes.Buffer
	for _, d := range debs {
		p := d.control.without("Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512")
		p = append(p,
			field{"Filename", "./" + d.name},
			field{"Size", fmt.Sprint(d.size)},
			field{"MD5sum", d.md5},
			field{"SHA1", d.sha1},
			field{"SHA256", d.sha256},
		)
		p.ordered().writeTo(&buf)
	}
	return buf.Bytes()
}

// architectures returns the sorted, distinct architectures of debs.
func architectures(debs []*debFile) []string {
	var archs []string
	for _, d := range debs {
		archs = append(archs, d.control.get("Architecture"))
	}
	slices.Sort(archs)
	return slices.Compact(archs)
}

// releaseFile renders the Release file describing indexes. A flat
// repository's Release has no Components field.
func releaseFile(o Options, archs []string, indexes []file) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Origin: %s\n", o.Origin)
	fmt.Fprintf(&buf, "Label: %s\n", o.Label)
	fmt.Fprintf(&buf, "Suite: %s\n", o.Suite)
	fmt.Fprintf(&buf, "Codename: %s\n", o.Codename)
	fmt.Fprintf(&buf, "Date: %s\n", o.Date.Format("Mon, 02 Jan 2006 15:04:05 UTC"))
	if len(archs) > 0 {
		fmt.Fprintf(&buf, "Architectures: %s\n", strings.Join(archs, " "))
	}
	fmt.Fprintf(&buf, "Description: %s\n", o.Description)
	sums := []struct {
		name string
		hash func() hash.Hash
	}{{"MD5Sum", md5.New}, {"SHA1", sha1.New}, {"SHA256", sha256.New}}
	for _, s := range sums {
		fmt.Fprintf(&buf, "%s:\n", s.name)
		for _, f := range indexes {
			h := s.hash()
			h.Write(f.data)
			fmt.Fprintf(&buf, " %s %16d %s\n", hex.EncodeToString(h.Sum(nil)), len(f.data), f.name)
		}
	}
	return buf.Bytes()
}
