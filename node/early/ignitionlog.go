package early

import (
	"strings"
)

// logLevels are the Ignition log lines worth keeping. DEBUG lines and the
// continuation lines of multi-line messages are dropped: they carry the
// fetched config and the arguments of commands (password hashes, keys).
var logLevels = []string{"INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL"}

// journalNoise is what Ignition logs when it runs before journald.
const journalNoise = "failed to log systemd journal entry"

// SanitizeIgnitionLog keeps the lines of Ignition's -log-to-stdout output
// that are safe to show on a console and keep on disk, without the
// complaints about the absent journal.
func SanitizeIgnitionLog(out []byte) []string {
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		level, msg, ok := strings.Cut(line, ":")
		if ok && isLevel(strings.TrimSpace(level)) && !strings.Contains(msg, journalNoise) {
			keep = append(keep, line)
		}
	}
	return keep
}

func isLevel(s string) bool {
	for _, l := range logLevels {
		if s == l {
			return true
		}
	}
	return false
}

// tail joins the last n lines, indented for the console.
func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "  (no output)"
	}
	return "  " + strings.Join(lines, "\n  ")
}
