package repo

import (
	"errors"
	"fmt"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// depKinds lists the dependency kinds in primary.xml order, each with the
// header tag of its names; the version and flags tags follow in the order
// given.
var depKinds = []struct {
	element                      string
	nameTag, versionTag, flagTag int
}{
	{"rpm:provides", rpmutils.PROVIDENAME, rpmutils.PROVIDEVERSION, rpmutils.PROVIDEFLAGS},
	{"rpm:requires", rpmutils.REQUIRENAME, rpmutils.REQUIREVERSION, rpmutils.REQUIREFLAGS},
	{"rpm:conflicts", rpmutils.CONFLICTNAME, rpmutils.CONFLICTVERSION, rpmutils.CONFLICTFLAGS},
	{"rpm:obsoletes", rpmutils.OBSOLETENAME, rpmutils.OBSOLETEVERSION, rpmutils.OBSOLETEFLAGS},
	{"rpm:suggests", tagSuggestName, tagSuggestName + 1, tagSuggestName + 2},
	{"rpm:enhances", tagEnhanceName, tagEnhanceName + 1, tagEnhanceName + 2},
	{"rpm:recommends", tagRecommendName, tagRecommendName + 1, tagRecommendName + 2},
	{"rpm:supplements", tagSupplementNam, tagSupplementNam + 1, tagSupplementNam + 2},
}

// readDeps reads every dependency kind, filtering requires like
// createrepo_c: rpmlib() features, the package's own primary files, names
// it provides itself and exact duplicates are left out.
func readDeps(hdr *rpmutils.RpmHeader, files []rpmFile) (map[string][]rpmDep, error) {
	deps := map[string][]rpmDep{}
	for _, k := range depKinds {
		names, err := hdr.GetStrings(k.nameTag)
		if errors.As(err, new(rpmutils.NoSuchTagError)) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", k.element, err)
		}
		versions, _ := hdr.GetStrings(k.versionTag)
		flags, _ := hdr.GetUint32s(k.flagTag)
		if len(versions) != len(names) || len(flags) != len(names) {
			return nil, fmt.Errorf("reading %s: tag lengths differ", k.element)
		}
		for i, name := range names {
			d := newDep(name, flags[i], versions[i])
			if k.element == "rpm:requires" {
				d.pre = flags[i]&senseAnyPre != 0
			}
			deps[k.element] = append(deps[k.element], d)
		}
	}
	deps["rpm:requires"] = filterRequires(deps["rpm:requires"], deps["rpm:provides"], files)
	return deps, nil
}

// newDep builds a dependency entry from its header values.
func newDep(name string, flags uint32, evr string) rpmDep {
	d := rpmDep{name: name, flags: senseFlags(flags)}
	if evr == "" {
		return d
	}
	d.epoch = "0"
	if e, rest, ok := strings.Cut(evr, ":"); ok && e != "" && strings.Trim(e, "0123456789") == "" {
		d.epoch, evr = e, rest
	} else if ok {
		evr = rest
	}
	d.ver, d.rel, _ = strings.Cut(evr, "-")
	return d
}

// senseFlags maps RPMSENSE comparison bits to primary.xml's flags.
func senseFlags(flags uint32) string {
	switch flags & 0xf {
	case 2:
		return "LT"
	case 4:
		return "GT"
	case 8:
		return "EQ"
	case 10:
		return "LE"
	case 12:
		return "GE"
	}
	return ""
}

// filterRequires drops the requires createrepo_c leaves out of primary.xml.
func filterRequires(requires, provides []rpmDep, files []rpmFile) []rpmDep {
	skip := map[string]bool{}
	for _, f := range files {
		if isPrimaryFile(f.path) {
			skip[f.path] = true
		}
	}
	for _, p := range provides {
		skip[p.name] = true
	}
	seen := map[rpmDep]bool{}
	var out []rpmDep
	for _, r := range requires {
		if strings.HasPrefix(r.name, "rpmlib(") || skip[r.name] || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}

// isPrimaryFile reports whether primary.xml lists path: files under /etc,
// anything with "bin/" in it, and /usr/lib/sendmail, which dependency
// resolvers expect to find without reading filelists.xml.
func isPrimaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || strings.Contains(path, "bin/") || path == "/usr/lib/sendmail"
}
