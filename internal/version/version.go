// Package version holds the build's version, set at link time:
//
//	go build -ldflags "-X github.com/slipway-dev/slipway/internal/version.Version=v0.1.0"
package version

import "runtime/debug"

// Version is the slipway release this binary was built from. It defaults to
// the module version recorded by the Go toolchain, or "devel".
var Version = ""

// String returns Version, falling back to the module's build info.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
