package boot

import "strings"

// CompareVersions orders version strings as systemd's
// strverscmp_improved() does (the order systemd-boot sorts entries by):
// segments of digits or letters, '~' older than anything, then the end of
// the string, '-', '^' and '.' as separators in that order, numbers
// compared by value, numbers newer than letters. It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	if a == "" || b == "" {
		return strings.Compare(a, b)
	}
	for {
		a, b = strings.TrimLeftFunc(a, invalidVersionChar), strings.TrimLeftFunc(b, invalidVersionChar)
		var r int
		if a, b, r = comparePrefix(a, b, '~'); r != 0 {
			return r
		}
		if a == "" || b == "" {
			return cmpBool(a != "", b != "")
		}
		for _, sep := range []byte{'-', '^', '.'} {
			if a, b, r = comparePrefix(a, b, sep); r != 0 {
				return r
			}
		}
		if a, b, r = compareSegment(a, b); r != 0 {
			return r
		}
	}
}

// comparePrefix handles one separator: when only one string starts with
// it, that one is older; when both do, both drop it.
func comparePrefix(a, b string, sep byte) (string, string, int) {
	ha, hb := first(a) == sep, first(b) == sep
	switch {
	case ha && hb:
		return a[1:], b[1:], 0
	case ha != hb:
		return a, b, cmpBool(hb, ha)
	}
	return a, b, 0
}

// compareSegment compares the leading numeric (when either string starts
// with a digit) or alphabetic segments and returns what follows them.
func compareSegment(a, b string) (string, string, int) {
	if isDigit(first(a)) || isDigit(first(b)) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		na, nb := spanOf(a, isDigit), spanOf(b, isDigit)
		if na != nb {
			return a, b, cmpInt(na, nb)
		}
		return a[na:], b[nb:], strings.Compare(a[:na], b[:nb])
	}
	na, nb := spanOf(a, isAlpha), spanOf(b, isAlpha)
	if r := strings.Compare(a[:min(na, nb)], b[:min(na, nb)]); r != 0 {
		return a, b, r
	}
	return a[na:], b[nb:], cmpInt(na, nb)
}

// first is the first byte of s, or 0 when s is empty.
func first(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

func spanOf(s string, f func(byte) bool) int {
	i := 0
	for i < len(s) && f(s[i]) {
		i++
	}
	return i
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func invalidVersionChar(r rune) bool {
	return r > 127 || !(isDigit(byte(r)) || isAlpha(byte(r)) || strings.ContainsRune("~-^.", r))
}
