package boot

import (
	"cmp"
	"path"
	"slices"
	"strings"
)

// SortEntries returns the entries in systemd-boot 252's menu order
// (config_entry_compare): entries with 0 tries left last; entries with a
// sort-key before those without; then by sort-key, by version newest
// first, by ID (file name) newest first; counted entries with more tries
// left, then fewer tries done, first. The input is not modified.
func SortEntries(entries []Entry) []Entry {
	out := slices.Clone(entries)
	slices.SortStableFunc(out, compareEntries)
	return out
}

// SelectDefault returns the entry systemd-boot 252 boots when no EFI
// variable overrides loader.conf: the first entry in SortEntries order
// whose ID (its lowercased file name, counter and ".conf" included)
// matches l.Default as a glob, else the first entry. ok is false when
// there are no entries. Callers pass only entries whose kernel exists:
// systemd-boot drops the others.
func SelectDefault(l Loader, entries []Entry) (e Entry, ok bool) {
	sorted := SortEntries(entries)
	if len(sorted) == 0 {
		return Entry{}, false
	}
	if l.Default != "" {
		pattern := strings.ToLower(l.Default)
		for _, e := range sorted {
			if m, err := path.Match(pattern, bootID(e)); err == nil && m {
				return e, true
			}
		}
	}
	return sorted[0], true
}

// bootID is the ID systemd-boot 252 gives an entry: its file name,
// lowercased.
func bootID(e Entry) string { return strings.ToLower(e.FileName()) }

func compareEntries(a, b Entry) int {
	if r := cmpBool(a.TriesLeft() == 0, b.TriesLeft() == 0); r != 0 {
		return r
	}
	if r := cmpBool(a.SortKey == "", b.SortKey == ""); r != 0 {
		return r
	}
	if a.SortKey != "" {
		if r := strings.Compare(a.SortKey, b.SortKey); r != 0 {
			return r
		}
		if r := -CompareVersions(a.Version, b.Version); r != 0 {
			return r
		}
	}
	if r := -CompareVersions(bootID(a), bootID(b)); r != 0 {
		return r
	}
	if a.Tries == nil || b.Tries == nil {
		return 0
	}
	if r := -cmp.Compare(a.Tries.Left, b.Tries.Left); r != 0 {
		return r
	}
	return cmp.Compare(a.Tries.Done, b.Tries.Done)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
