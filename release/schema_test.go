package release

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/release.v1.schema.json")

// TestSchemaGolden keeps docs/release.v1.schema.json in step with the
// Manifest type: go test ./release -update rewrites it.
func TestSchemaGolden(t *testing.T) {
	want, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "docs", "release.v1.schema.json")
	if *update {
		if err := os.WriteFile(golden, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(golden)
	if err != nil || string(got) != string(want) {
		t.Errorf("%s is out of date: run go test ./release -update", golden)
	}
}
