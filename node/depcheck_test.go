package node

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// forbidden are import path prefixes that node code must never pull in:
// build-side packages and libraries that only build hosts need.
var forbidden = []string{
	"github.com/goreleaser/nfpm",
	"github.com/diskfs/go-diskfs",
	"github.com/slipway-dev/slipway/packages",
	"github.com/slipway-dev/slipway/release",
	"github.com/slipway-dev/slipway/images",
	"github.com/slipway-dev/slipway/signing",
	"github.com/slipway-dev/slipway/sources",
	"github.com/slipway-dev/slipway/spec",
	"github.com/slipway-dev/slipway/cmd/slipway",
}

func TestNodeHasNoBuildSideDependencies(t *testing.T) {
	for _, pkg := range []string{"github.com/slipway-dev/slipway/node/...", "github.com/slipway-dev/slipway/cmd/slipway-node"} {
		out, err := exec.Command("go", "list", "-deps", "-json=ImportPath", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		n := 0
		for dec.More() {
			var p struct{ ImportPath string }
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			n++
			for _, f := range forbidden {
				if p.ImportPath == f || strings.HasPrefix(p.ImportPath, f+"/") {
					t.Errorf("%s depends on %s, which node code must not import", pkg, p.ImportPath)
				}
			}
		}
		if n == 0 {
			t.Fatalf("go list %s listed no packages", pkg)
		}
	}
}
