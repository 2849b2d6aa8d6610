package boot

import (
	"reflect"
	"strings"
	"testing"
)

func TestEntryRoundTrip(t *testing.T) {
	for name, e := range map[string]Entry{
		"fresh slot a":    SlotEntry(SlotA, "1.2.3", ""),
		"upgrade +3":      withTries(SlotEntry(SlotB, "1.3.0", "console=ttyS0"), 3, 0),
		"tried once +2-1": withTries(SlotEntry(SlotB, "1.3.0", ""), 2, 1),
		"exhausted +0-3":  withTries(SlotEntry(SlotA, "1.3.0-rc.1", ""), 0, 3),
		"minimal":         {ID: "other", Linux: "/vmlinuz"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseEntry(e.Path(), e.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("round trip\n%+v\nwant\n%+v", got, e)
			}
		})
	}
}

func withTries(e Entry, left, done int) Entry {
	e.Tries = &Tries{Left: left, Done: done}
	return e
}

func TestSlotEntry(t *testing.T) {
	e := SlotEntry(SlotA, "1.2.3", "")
	want := "title slipway 1.2.3 (slot a)\nversion 1.2.3\nsort-key slipway\nlinux /slipway/a/vmlinuz\n" +
		"initrd /slipway/a/initrd\noptions slipway.slot=a console=tty0 console=ttyS0,115200n8\n"
	if string(e.Marshal()) != want || e.Path() != "loader/entries/slipway-a.conf" || !e.Blessed() || e.Slot() != SlotA {
		t.Errorf("%s\n%s", e.Path(), e.Marshal())
	}
	if f := withTries(e, 3, 0).FileName(); f != "slipway-a+3.conf" {
		t.Errorf("file name %s", f)
	}
	if f := withTries(e, 1, 2).FileName(); f != "slipway-a+1-2.conf" {
		t.Errorf("file name %s", f)
	}
}

func TestParseEntryFileNames(t *testing.T) {
	for name, tc := range map[string]struct {
		file  string
		id    string
		tries *Tries
	}{
		"blessed":                {"slipway-a.conf", "slipway-a", nil},
		"left only":              {"slipway-a+3.conf", "slipway-a", &Tries{3, 0}},
		"left and done":          {"loader/entries/slipway-b+0-3.conf", "slipway-b", &Tries{0, 3}},
		"explicit done 0":        {"x+4-0.conf", "x", &Tries{4, 0}},
		"plus in the middle":     {"a+b.conf", "a+b", nil},
		"last plus counts":       {"a+1+2.conf", "a+1", &Tries{2, 0}},
		"upper-case conf suffix": {"x+1.CONF", "x", &Tries{1, 0}},
	} {
		t.Run(name, func(t *testing.T) {
			e, err := ParseEntry(tc.file, []byte("linux /k\n"))
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != tc.id || !reflect.DeepEqual(e.Tries, tc.tries) {
				t.Errorf("id %q tries %+v", e.ID, e.Tries)
			}
		})
	}
}

func TestParseEntryErrors(t *testing.T) {
	for name, tc := range map[string]struct{ file, body, want string }{
		"not .conf":    {"x.txt", "", "must end in .conf"},
		"unknown key":  {"x.conf", "title a\nmachine-id 1\n", "line 2: unknown key"},
		"repeated key": {"x.conf", "options a\noptions b\n", `key "options" repeated`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEntry(tc.file, []byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseEntrySkipsCommentsAndBlanks(t *testing.T) {
	e, err := ParseEntry("x.conf", []byte("# written by slipway\n\ntitle  a b\t\nlinux\t/k\n"))
	if err != nil || e.Title != "a b" || e.Linux != "/k" {
		t.Fatalf("%+v %v", e, err)
	}
}

func TestLoaderRoundTrip(t *testing.T) {
	for name, l := range map[string]Loader{
		"default":   DefaultLoader(),
		"timeout 5": {Default: "slipway-b*", Timeout: 5},
		"no glob":   {Timeout: 0},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseLoader(l.Marshal())
			if err != nil || got != l {
				t.Fatalf("%+v %v", got, err)
			}
		})
	}
	if got := string(DefaultLoader().Marshal()); got != "default slipway-*\ntimeout 0\n" {
		t.Errorf("loader.conf %q", got)
	}
	if _, err := ParseLoader([]byte("editor no\n")); err == nil {
		t.Error("unknown key accepted")
	}
	if _, err := ParseLoader([]byte("timeout soon\n")); err == nil {
		t.Error("bad timeout accepted")
	}
}

func TestSlotFromCmdline(t *testing.T) {
	for cmdline, want := range map[string]string{
		"initrd=\\slipway\\a\\initrd slipway.slot=a console=ttyS0": "a",
		"slipway.slot=a slipway.slot=b":                            "b",
		"console=ttyS0 xslipway.slot=a":                            "",
		"":                                                         "",
	} {
		if got := SlotFromCmdline(cmdline); got != want {
			t.Errorf("SlotFromCmdline(%q) = %q, want %q", cmdline, got, want)
		}
	}
}
