package main

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/slipway-dev/slipway/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files (docs/commands)")

// TestCommandDocs keeps docs/commands in step with the commands' help:
// run `go test ./cmd/slipway-node -update` after changing a command.
func TestCommandDocs(t *testing.T) {
	testutil.CommandDocs(t, newRootCommand(), filepath.Join("..", "..", "docs", "commands"), "./cmd/slipway-node", *update)
}
