package health

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// Files of a results directory (on a node: /var/lib/slipway/health on
// STATE).
const (
	// LastFile holds the last result, indented JSON.
	LastFile = "last.json"
	// HistoryFile holds the last HistoryLen results, one JSON object a
	// line, oldest first.
	HistoryFile = "history.jsonl"
	// HistoryLen is how many results HistoryFile keeps.
	HistoryLen = 50
)

// Record stores r in dir (created if missing): it replaces LastFile and
// appends r to HistoryFile, keeping its last HistoryLen lines. Both files
// are written to a temporary file, synced and renamed into place, so a
// power cut leaves the old or the new content, never a part.
func Record(dir string, r Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("recording the health result: %w", err)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("recording the health result: %w", err)
	}
	old, err := os.ReadFile(filepath.Join(dir, HistoryFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("recording the health result: %w", err)
	}
	if err := fileutil.WriteAtomic(filepath.Join(dir, HistoryFile), appendHistory(old, line, HistoryLen), 0o644); err != nil {
		return fmt.Errorf("recording the health history: %w", err)
	}
	last, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("recording the health result: %w", err)
	}
	if err := fileutil.WriteAtomic(filepath.Join(dir, LastFile), append(last, '\n'), 0o644); err != nil {
		return fmt.Errorf("recording the health result: %w", err)
	}
	return nil
}

// appendHistory appends line to the JSON lines of history and keeps the
// last keep lines.
func appendHistory(history, line []byte, keep int) []byte {
	lines := historyLines(history)
	lines = append(lines, line)
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	return append(bytes.Join(lines, []byte("\n")), '\n')
}

// historyLines splits a history file into its non-empty lines.
func historyLines(b []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Last returns the result Record stored last in dir, or nil and no error
// when none was recorded.
func Last(dir string) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, LastFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the last health result: %w", err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reading the last health result %s: %w", filepath.Join(dir, LastFile), err)
	}
	return &r, nil
}

// History returns the results recorded in dir, oldest first (at most
// HistoryLen); none and no error when none was recorded.
func History(dir string) ([]Result, error) {
	p := filepath.Join(dir, HistoryFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the health history: %w", err)
	}
	lines := historyLines(b)
	out := make([]Result, 0, len(lines))
	for i, l := range lines {
		var r Result
		if err := json.Unmarshal(l, &r); err != nil {
			return nil, fmt.Errorf("reading the health history %s: result %d: %w", p, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}
