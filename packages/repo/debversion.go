package repo

import (
	"strconv"
	"strings"
)

// compareDebVersions compares two Debian versions ([epoch:]upstream[-revision])
// the way dpkg --compare-versions does, returning -1, 0 or 1.
func compareDebVersions(a, b string) int {
	ea, ua, ra := splitDebVersion(a)
	eb, ub, rb := splitDebVersion(b)
	switch {
	case ea < eb:
		return -1
	case ea > eb:
		return 1
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

// splitDebVersion splits a Debian version into epoch, upstream version and
// revision. A missing or malformed epoch is 0.
func splitDebVersion(v string) (epoch int, upstream, revision string) {
	if e, rest, ok := strings.Cut(v, ":"); ok {
		epoch, _ = strconv.Atoi(e)
		v = rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// verrevcmp is dpkg's comparison of upstream versions or revisions:
// alternating non-digit runs, compared by debOrder, and digit runs, compared
// numerically.
func verrevcmp(a, b string) int {
	for a != "" || b != "" {
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			ac, bc := debOrder(a), debOrder(b)
			if ac != bc {
				return sign(ac - bc)
			}
			a, b = a[1:], b[1:]
		}
		for a != "" && a[0] == '0' {
			a = a[1:]
		}
		for b != "" && b[0] == '0' {
			b = b[1:]
		}
		first := 0
		for a != "" && isDigit(a[0]) && b != "" && isDigit(b[0]) {
			if first == 0 {
				first = int(a[0]) - int(b[0])
			}
			a, b = a[1:], b[1:]
		}
		if a != "" && isDigit(a[0]) {
			return 1
		}
		if b != "" && isDigit(b[0]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

// debOrder ranks the first character of s in a non-digit run: end of run
// sorts before letters, letters before other characters, and '~' before
// everything, even the end.
func debOrder(s string) int {
	switch {
	case s == "" || isDigit(s[0]):
		return 0
	case s[0] == '~':
		return -1
	case ('a' <= s[0] && s[0] <= 'z') || ('A' <= s[0] && s[0] <= 'Z'):
		return int(s[0])
	}
	return int(s[0]) + 256
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
