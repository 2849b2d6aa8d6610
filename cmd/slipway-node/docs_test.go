package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra/doc"
)

var update = flag.Bool("update", false, "rewrite golden files (docs/commands)")

// TestCommandDocs keeps docs/commands in step with the commands' help:
// run `go test ./cmd/slipway-node -update` after changing a command.
func TestCommandDocs(t *testing.T) {
	dir := t.TempDir()
	root := newRootCommand()
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd()
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "..", "docs", "commands")
	generated, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(generated) == 0 {
		t.Fatal("no docs generated")
	}
	for _, g := range generated {
		want, _ := os.ReadFile(g)
		dst := filepath.Join(golden, filepath.Base(g))
		if *update {
			if err := os.WriteFile(dst, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(dst)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is out of date: run go test ./cmd/slipway-node -update", dst)
		}
	}
}
