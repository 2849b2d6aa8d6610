package boot

import (
	"testing"
)

func TestSelectDefault(t *testing.T) {
	a123 := SlotEntry(SlotA, "1.2.3", "")
	b130 := SlotEntry(SlotB, "1.3.0", "")
	for name, tc := range map[string]struct {
		loader  Loader
		entries []Entry
		want    string // file name
	}{
		"blessed only":             {DefaultLoader(), []Entry{a123}, "slipway-a.conf"},
		"+3 newest wins":           {DefaultLoader(), []Entry{a123, withTries(b130, 3, 0)}, "slipway-b+3.conf"},
		"tried newest still wins":  {DefaultLoader(), []Entry{a123, withTries(b130, 1, 2)}, "slipway-b+1-2.conf"},
		"0 tries left sorted last": {DefaultLoader(), []Entry{withTries(b130, 0, 3), a123}, "slipway-a.conf"},
		"newest version first":     {DefaultLoader(), []Entry{SlotEntry(SlotA, "1.10.0", ""), SlotEntry(SlotB, "1.9.0", "")}, "slipway-a.conf"},
		"glob matches +N-M suffix": {Loader{Default: "slipway-b*"}, []Entry{SlotEntry(SlotA, "2.0.0", ""), withTries(b130, 2, 1)}, "slipway-b+2-1.conf"},
		"exact id misses counter":  {Loader{Default: "slipway-b.conf"}, []Entry{SlotEntry(SlotA, "1.0.0", ""), withTries(b130, 3, 0)}, "slipway-b+3.conf"},
		"glob is case-insensitive": {Loader{Default: "SLIPWAY-A*"}, []Entry{a123, b130}, "slipway-a.conf"},
		"no match takes first":     {Loader{Default: "other-*"}, []Entry{a123, b130}, "slipway-b.conf"},
		"sort-key before none":     {Loader{}, []Entry{{ID: "zzz", Version: "9"}, a123}, "slipway-a.conf"},
		"all exhausted":            {DefaultLoader(), []Entry{withTries(a123, 0, 3), withTries(b130, 0, 3)}, "slipway-b+0-3.conf"},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := SelectDefault(tc.loader, tc.entries)
			if !ok || got.FileName() != tc.want {
				t.Errorf("SelectDefault = %s (%v), want %s", got.FileName(), ok, tc.want)
			}
		})
	}
	if _, ok := SelectDefault(DefaultLoader(), nil); ok {
		t.Error("SelectDefault found an entry in none")
	}
}

func TestSortEntriesTriesOrder(t *testing.T) {
	e := SlotEntry(SlotB, "1.3.0", "")
	got := SortEntries([]Entry{withTries(e, 1, 2), withTries(e, 3, 0), withTries(e, 0, 3), withTries(e, 2, 1)})
	want := []string{"slipway-b+3.conf", "slipway-b+2-1.conf", "slipway-b+1-2.conf", "slipway-b+0-3.conf"}
	for i := range want {
		if got[i].FileName() != want[i] {
			t.Fatalf("order %v, want %v", names(got), want)
		}
	}
}

func names(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.FileName())
	}
	return out
}

func TestCompareVersions(t *testing.T) {
	// systemd's own list, oldest to newest (string-util-fundamental.c).
	ordered := []string{"122.1", "123~rc1-1", "123", "123-a", "123-a.1", "123-1", "123-1.1",
		"123^post1", "123.a-1", "123.1-1", "123a-1", "124-1"}
	for i := range ordered {
		for j := range ordered {
			want := cmpInt(i, j)
			if got := CompareVersions(ordered[i], ordered[j]); got != want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.10.0", "1.9.0", 1}, {"00123", "123", 0}, {"1_2", "1.2", 1}, {"", "1", -1}, {"1.0", "1.0.", -1},
		{"slipway-b+3.conf", "slipway-a.conf", 1},
	} {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
