package boot

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// EntriesDir is where Boot Loader Specification entries live on the ESP.
const EntriesDir = "loader/entries"

// Tries is an entry's Automatic Boot Assessment counter, read from and
// written to its file name: <id>+LEFT[-DONE].conf. systemd-boot moves one
// try from Left to Done on every boot of the entry; systemd-bless-boot
// drops the counter once the system is healthy.
type Tries struct {
	Left int `json:"left"`
	Done int `json:"done"`
}

// Entry is one Type #1 boot entry (loader/entries/<file>.conf). Empty fields
// are not written. Tries is nil for a blessed entry: one without a counter,
// which systemd-boot boots without counting.
type Entry struct {
	ID      string `json:"id"`
	Title   string `json:"title,omitempty"`
	Version string `json:"version,omitempty"`
	SortKey string `json:"sortKey,omitempty"`
	Linux   string `json:"linux,omitempty"`
	Initrd  string `json:"initrd,omitempty"`
	Options string `json:"options,omitempty"`
	Tries   *Tries `json:"tries,omitempty"`
}

// FileName is the entry's file name: the ID, the counter when there is one
// (+LEFT, or +LEFT-DONE once DONE > 0) and ".conf".
func (e Entry) FileName() string {
	if e.Tries == nil {
		return e.ID + ".conf"
	}
	if e.Tries.Done == 0 {
		return fmt.Sprintf("%s+%d.conf", e.ID, e.Tries.Left)
	}
	return fmt.Sprintf("%s+%d-%d.conf", e.ID, e.Tries.Left, e.Tries.Done)
}

// Path is the entry's path on the ESP: loader/entries/FileName().
func (e Entry) Path() string { return EntriesDir + "/" + e.FileName() }

// Blessed reports whether the entry has no boot counter.
func (e Entry) Blessed() bool { return e.Tries == nil }

// TriesLeft is the counter's LEFT, or -1 for a blessed entry. systemd-boot
// sorts entries with 0 left below all others.
func (e Entry) TriesLeft() int {
	if e.Tries == nil {
		return -1
	}
	return e.Tries.Left
}

// Slot is the slot the entry boots: SlotFromCmdline of its options.
func (e Entry) Slot() string { return SlotFromCmdline(e.Options) }

// entryField is one key of an entry file and the field holding its value.
type entryField struct {
	key string
	val *string
}

// fields are the keys Marshal writes, in order, with their fields.
func (e *Entry) fields() []entryField {
	return []entryField{
		{"title", &e.Title}, {"version", &e.Version}, {"sort-key", &e.SortKey},
		{"linux", &e.Linux}, {"initrd", &e.Initrd}, {"options", &e.Options},
	}
}

// Marshal encodes the entry's body ("key value" lines, fixed order).
func (e Entry) Marshal() []byte {
	var b bytes.Buffer
	for _, f := range e.fields() {
		if *f.val != "" {
			fmt.Fprintf(&b, "%s %s\n", f.key, *f.val)
		}
	}
	return b.Bytes()
}

// ParseEntry decodes an entry from its file name (a base name or a path
// ending in <id>[+LEFT[-DONE]].conf) and body. Blank lines and # comments
// are skipped; unknown or repeated keys are errors, so nothing is lost
// when the entry is written back. A "+..." suffix that is not a valid
// counter stays part of the ID, as systemd-boot reads it.
func ParseEntry(fileName string, b []byte) (Entry, error) {
	base := path.Base(fileName)
	stem, ok := cutSuffixFold(base, ".conf")
	if !ok || stem == "" {
		return Entry{}, fmt.Errorf("parsing entry %s: the file name must end in .conf", fileName)
	}
	e := Entry{ID: stem}
	if id, t, ok := parseCounter(stem); ok {
		e.ID, e.Tries = id, &t
	}
	if err := parseEntryBody(&e, b); err != nil {
		return Entry{}, fmt.Errorf("parsing entry %s: %w", fileName, err)
	}
	return e, nil
}

func parseEntryBody(e *Entry, b []byte) error {
	fields := e.fields()
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		key, val := splitKeyValue(line)
		if key == "" {
			continue
		}
		var dst *string
		for _, f := range fields {
			if f.key == key {
				dst = f.val
			}
		}
		switch {
		case dst == nil:
			return fmt.Errorf("line %d: unknown key %q", i+1, key)
		case seen[key]:
			return fmt.Errorf("line %d: key %q repeated", i+1, key)
		}
		seen[key], *dst = true, val
	}
	return nil
}

// splitKeyValue splits "key value" at the first run of blanks, as
// systemd-boot does; comments and blank lines give an empty key.
func splitKeyValue(line string) (key, val string) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", ""
	}
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, ""
	}
	return line[:i], strings.TrimSpace(line[i:])
}

// parseCounter splits "<id>+LEFT[-DONE]" at the last '+'.
func parseCounter(stem string) (string, Tries, bool) {
	i := strings.LastIndexByte(stem, '+')
	if i < 0 {
		return "", Tries{}, false
	}
	leftS, doneS, hasDone := strings.Cut(stem[i+1:], "-")
	left, err := strconv.ParseUint(leftS, 10, 31)
	if err != nil {
		return "", Tries{}, false
	}
	t := Tries{Left: int(left)}
	if hasDone {
		done, err := strconv.ParseUint(doneS, 10, 31)
		if err != nil {
			return "", Tries{}, false
		}
		t.Done = int(done)
	}
	return stem[:i], t, true
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}
