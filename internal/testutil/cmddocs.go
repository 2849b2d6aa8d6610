package testutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// CommandDocs keeps golden Markdown pages (docs/commands) in step with a
// command tree's help: it generates root's pages and compares each with
// its golden file in dir, or rewrites them when update is set. pkg names
// the command's package in the message (go test PKG -update).
func CommandDocs(t *testing.T, root *cobra.Command, dir, pkg string, update bool) {
	t.Helper()
	tmp := t.TempDir()
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd()
	if err := doc.GenMarkdownTree(root, tmp); err != nil {
		t.Fatal(err)
	}
	generated, _ := filepath.Glob(filepath.Join(tmp, "*.md"))
	if len(generated) == 0 {
		t.Fatal("no docs generated")
	}
	for _, g := range generated {
		want, _ := os.ReadFile(g)
		dst := filepath.Join(dir, filepath.Base(g))
		if update {
			if err := os.WriteFile(dst, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(dst)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is out of date: run go test %s -update", dst, pkg)
		}
	}
}
