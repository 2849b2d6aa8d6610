package boot

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsOnlyTheStandardLibrary keeps the package light enough for
// node/, which must not pull in go-diskfs or other build-side code.
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("boot imports %s; it may import only the standard library", imp)
		}
	}
}
