package staging

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitMergesAndAbortCleans(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	os.MkdirAll(filepath.Join(out, "v1.33", "deb"), 0o755)
	os.WriteFile(filepath.Join(out, "v1.33", "deb", "old.deb"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(out, "v1.33", "deb", "Packages"), []byte("old index"), 0o644)

	d, err := New(out)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(d.Path, "v1.33", "deb"), 0o755)
	os.WriteFile(filepath.Join(d.Path, "v1.33", "deb", "Packages"), []byte("new index"), 0o644)
	os.WriteFile(filepath.Join(d.Path, "v1.33", "deb", "new.deb"), []byte("new"), 0o644)
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	d.Abort() // after Commit: a no-op
	for name, want := range map[string]string{"old.deb": "old", "new.deb": "new", "Packages": "new index"} {
		got, err := os.ReadFile(filepath.Join(out, "v1.33", "deb", name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("staging left behind: %v", entries)
	}

	d, err = New(filepath.Join(parent, "never"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d.Path, "half.deb"), []byte("x"), 0o644)
	d.Abort()
	entries, _ = os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("abort left %v", entries)
	}
}

func TestOutputIsAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := New(f); err == nil {
		t.Fatal("a file accepted as output directory")
	}
}
