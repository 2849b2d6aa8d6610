package repo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// YUM metadata names, relative to the repository root.
const (
	yumRepodata  = "repodata"
	yumRepomd    = "repodata/repomd.xml"
	yumRepomdSig = "repodata/repomd.xml.asc"
	yumRepomdKey = "repodata/repomd.xml.key"
)

// yumDataFile matches the data files WriteYUM writes, so that stale ones
// from earlier runs can be removed.
var yumDataFile = regexp.MustCompile(`^[0-9a-f]{64}-(primary|filelists|other)\.xml\.gz$`)

// WriteYUM publishes the .rpm files in dir as a yum (rpm-md) repository:
// repodata/repomd.xml indexing <sha256>-primary.xml.gz,
// <sha256>-filelists.xml.gz and <sha256>-other.xml.gz (named like
// createrepo_c names them, by the checksum of the compressed file) and, with
// a Signer, repodata/repomd.xml.asc (armored detached signature) and
// repodata/repomd.xml.key (armored public key). Data files of earlier runs
// that the new repomd.xml no longer lists are removed. The uncompressed XML
// is byte for byte what createrepo_c 0.17 writes, except that <time file> is
// Options.Date rather than each file's mtime; no sqlite databases are
// written (dnf does not use them).
// Clients use it with
//
//	baseurl=https://HOST/PATH/
//	gpgcheck=1
//	repo_gpgcheck=1
//	gpgkey=https://HOST/PATH/repodata/repomd.xml.key
func WriteYUM(ctx context.Context, dir string, o Options) error {
	if err := writeYUM(ctx, dir, o); err != nil {
		return fmt.Errorf("publishing yum repository %s: %w", dir, err)
	}
	return nil
}

func writeYUM(ctx context.Context, dir string, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	pkgs, err := scanRPMs(ctx, dir)
	if err != nil {
		return err
	}
	files, err := yumFiles(pkgs, o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, yumRepodata), 0o755); err != nil {
		return fmt.Errorf("creating repodata: %w", err)
	}
	if err := publish(ctx, dir, files); err != nil {
		return err
	}
	return pruneRepodata(dir, files, o.Signer == nil)
}

// scanRPMs reads every .rpm in dir, sorted by name, version, architecture
// and file name.
func scanRPMs(ctx context.Context, dir string) ([]*rpmPackage, error) {
	names, err := listPackages(dir, ".rpm")
	if err != nil {
		return nil, err
	}
	pkgs := make([]*rpmPackage, 0, len(names))
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := readRPM(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", n, err)
		}
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, func(a, b *rpmPackage) int {
		return cmp.Or(
			strings.Compare(a.name, b.name),
			compareEVR(a, b),
			strings.Compare(a.arch, b.arch),
			strings.Compare(a.href, b.href),
		)
	})
	return pkgs, nil
}

// compareEVR orders packages by epoch, version and release as rpm does.
func compareEVR(a, b *rpmPackage) int {
	ea, _ := strconv.ParseUint(a.epoch, 10, 64)
	eb, _ := strconv.ParseUint(b.epoch, 10, 64)
	return cmp.Or(cmp.Compare(ea, eb),
		rpmutils.Vercmp(a.version, b.version),
		rpmutils.Vercmp(a.release, b.release))
}

// yumFiles renders the repodata for pkgs, in the order they must be renamed
// into place: data files, then repomd.xml and its signature.
func yumFiles(pkgs []*rpmPackage, o Options) ([]file, error) {
	date := o.Date.Unix()
	var files []file
	var records bytes.Buffer
	for _, d := range []struct {
		kind string
		xml  []byte
	}{
		{"primary", primaryXML(pkgs, date)},
		{"filelists", filelistsXML(pkgs)},
		{"other", otherXML(pkgs)},
	} {
		gz, err := gzipBytes(d.xml)
		if err != nil {
			return nil, fmt.Errorf("compressing %s.xml: %w", d.kind, err)
		}
		name := path.Join(yumRepodata, sha256Hex(gz)+"-"+d.kind+".xml.gz")
		files = append(files, file{name, gz})
		fmt.Fprintf(&records, repomdRecord, d.kind, sha256Hex(gz), sha256Hex(d.xml), name, date, len(gz), len(d.xml))
	}
	repomd := fmt.Appendf(nil, repomdTemplate, date, records.String())
	if o.Signer == nil {
		return append(files, file{yumRepomd, repomd}), nil
	}
	sig, err := o.Signer.DetachSignArmored(bytes.NewReader(repomd))
	if err != nil {
		return nil, fmt.Errorf("signing repomd.xml: %w", err)
	}
	return append(files,
		file{yumRepomdKey, o.Signer.PublicKeyArmored()},
		file{yumRepomd, repomd},
		file{yumRepomdSig, sig},
	), nil
}

// repomdTemplate is repomd.xml as createrepo_c lays it out; it takes the
// revision and the data records.
const repomdTemplate = xmlHeader +
	`<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>%d</revision>
%s</repomd>
`

// repomdRecord is one <data> record of repomd.xml; it takes the type, the
// checksums of the compressed and open file, the location, timestamp and
// the two sizes.
const repomdRecord = `  <data type="%s">
    <checksum type="sha256">%s</checksum>
    <open-checksum type="sha256">%s</open-checksum>
    <location href="%s"/>
    <timestamp>%d</timestamp>
    <size>%d</size>
    <open-size>%d</open-size>
  </data>
`

func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// pruneRepodata removes data files under dir/repodata that files does not
// hold and, for an unsigned repository, any signature and key left over.
func pruneRepodata(dir string, files []file, unsigned bool) error {
	keep := map[string]bool{}
	for _, f := range files {
		keep[path.Base(f.name)] = true
	}
	entries, err := os.ReadDir(filepath.Join(dir, yumRepodata))
	if err != nil {
		return fmt.Errorf("listing repodata: %w", err)
	}
	var stale []string
	for _, e := range entries {
		if yumDataFile.MatchString(e.Name()) && !keep[e.Name()] {
			stale = append(stale, path.Join(yumRepodata, e.Name()))
		}
	}
	if unsigned {
		stale = append(stale, yumRepomdSig, yumRepomdKey)
	}
	return removeStale(dir, stale...)
}
