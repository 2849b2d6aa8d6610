package repo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// rpm header tags go-rpmutils has no names for.
const (
	tagSourcePackage = 1106
	tagRecommendName = 5046 // then version, flags; likewise for the others
	tagSuggestName   = 5049
	tagSupplementNam = 5052
	tagEnhanceName   = 5055
)

// rpm dependency flag bits (RPMSENSE_*) that createrepo_c reports as pre="1".
const senseAnyPre = 1<<6 | 1<<9 | 1<<10 // PREREQ, SCRIPT_PRE, SCRIPT_POST

// rpmPackage is one .rpm as the repodata describes it.
type rpmPackage struct {
	href, pkgid             string // file name in the repository root; sha256 of the file
	size                    int64
	name, arch              string
	epoch, version, release string
	summary, description    string
	packager, url           string
	license, vendor, group  string
	buildHost, sourceRPM    string
	buildTime               uint64
	installed, archive      uint64
	headerStart, headerEnd  int
	deps                    map[string][]rpmDep // by primary.xml element, e.g. "rpm:requires"
	files                   []rpmFile
	changelogs              []rpmChange
}

// rpmDep is one dependency entry; flags is "", "LT", "GT", "EQ", "LE" or
// "GE".
type rpmDep struct {
	name, flags, epoch, ver, rel string
	pre                          bool
}

// rpmFile is one file entry; typ is "", "dir" or "ghost".
type rpmFile struct{ path, typ string }

// rpmChange is one changelog entry.
type rpmChange struct {
	author, text string
	date         uint64
}

// readRPM reads the header and checksum of the .rpm at p.
func readRPM(p string) (*rpmPackage, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hdr, err := rpmutils.ReadHeader(f)
	if err != nil {
		return nil, fmt.Errorf("reading rpm header: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, err
	}
	pkg := &rpmPackage{href: filepath.Base(p), pkgid: hex.EncodeToString(h.Sum(nil)), size: size}
	if err := pkg.fill(hdr); err != nil {
		return nil, err
	}
	return pkg, nil
}

// fill copies the header fields createrepo_c reports into pkg.
func (pkg *rpmPackage) fill(hdr *rpmutils.RpmHeader) error {
	nevra, err := hdr.GetNEVRA()
	if err != nil {
		return fmt.Errorf("reading name and version: %w", err)
	}
	pkg.name, pkg.epoch, pkg.version, pkg.release, pkg.arch =
		nevra.Name, nevra.Epoch, nevra.Version, nevra.Release, nevra.Arch
	if hdr.HasTag(tagSourcePackage) {
		pkg.arch = "src"
	}
	str := func(tag int) string {
		v, _ := hdr.GetStrings(tag) // absent tags stay empty
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	pkg.summary, pkg.description = str(rpmutils.SUMMARY), str(rpmutils.DESCRIPTION)
	pkg.packager, pkg.url = str(rpmutils.PACKAGER), str(rpmutils.URL)
	pkg.license, pkg.vendor, pkg.group = str(rpmutils.LICENSE), str(rpmutils.VENDOR), str(rpmutils.GROUP)
	pkg.buildHost, pkg.sourceRPM = str(rpmutils.BUILDHOST), str(rpmutils.SOURCERPM)
	pkg.buildTime = firstNumber(hdr, rpmutils.BUILDTIME)
	pkg.installed = firstNumber(hdr, rpmutils.LONGSIZE, rpmutils.SIZE)
	pkg.archive = firstNumber(hdr, rpmutils.SIG_LONGARCHIVESIZE, rpmutils.SIG_PAYLOADSIZE, rpmutils.ARCHIVESIZE)
	r := hdr.GetRange()
	pkg.headerStart, pkg.headerEnd = r.Start, r.End
	if pkg.files, err = readFiles(hdr); err != nil {
		return err
	}
	if pkg.deps, err = readDeps(hdr, pkg.files); err != nil {
		return err
	}
	pkg.changelogs, err = readChangelog(hdr)
	return err
}

// firstNumber returns the value of the first of tags the header holds, or 0.
func firstNumber(hdr *rpmutils.RpmHeader, tags ...int) uint64 {
	for _, tag := range tags {
		if v, err := hdr.GetUint64s(tag); err == nil && len(v) > 0 {
			return v[0]
		}
	}
	return 0
}

// readFiles returns the package's files in header order.
func readFiles(hdr *rpmutils.RpmHeader) ([]rpmFile, error) {
	infos, err := hdr.GetFiles()
	if err != nil {
		return nil, fmt.Errorf("reading file list: %w", err)
	}
	files := make([]rpmFile, 0, len(infos))
	for _, fi := range infos {
		f := rpmFile{path: fi.Name()}
		switch {
		case fi.Mode()&0o170000 == 0o040000:
			f.typ = "dir"
		case fi.Flags()&rpmutils.RPMFILE_GHOST != 0:
			f.typ = "ghost"
		}
		files = append(files, f)
	}
	return files, nil
}

// changelogLimit is how many of the newest changelog entries other.xml
// holds, createrepo_c's default.
const changelogLimit = 10

// readChangelog returns up to changelogLimit of the newest changelog entries,
// oldest first, as createrepo_c orders them.
func readChangelog(hdr *rpmutils.RpmHeader) ([]rpmChange, error) {
	times, err := hdr.GetUint64s(rpmutils.CHANGELOGTIME)
	if errors.As(err, new(rpmutils.NoSuchTagError)) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading changelog: %w", err)
	}
	names, _ := hdr.GetStrings(rpmutils.CHANGELOGNAME)
	texts, _ := hdr.GetStrings(rpmutils.CHANGELOGTEXT)
	if len(names) != len(times) || len(texts) != len(times) {
		return nil, errors.New("reading changelog: tag lengths differ")
	}
	n := min(len(times), changelogLimit)
	out := make([]rpmChange, n)
	for i := range n {
		out[n-1-i] = rpmChange{author: trimRightSpaces(names[i]), text: texts[i], date: times[i]}
	}
	return out, nil
}

func trimRightSpaces(s string) string {
	for len(s) > 1 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}
