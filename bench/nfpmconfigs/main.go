// Command nfpmconfigs writes, for a release spec, one nfpm configuration
// per package, architecture and format, equivalent to what
// `slipway packages build` builds (packages.WriteNFPMConfigs), and prints
// one line per configuration: PACKAGER CONFIG FILE. bench/run.sh feeds
// them to the nfpm command to compare with slipway.
//
//	go run ./bench/nfpmconfigs -f build/bench/release.yaml -o build/bench/nfpm-configs
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/spec"
)

func main() {
	file := flag.String("f", "examples/release.yaml", "release spec")
	out := flag.String("o", "build/bench/nfpm-configs", "directory for the configurations")
	cacheDir := flag.String("cache-dir", "", "slipway cache (component sources); default: a directory beside -o")
	nodeDir := flag.String("node-agent-dir", "bin", "directory holding slipway-node-linux-ARCH")
	flag.Parse()
	if err := run(*file, *out, *cacheDir, *nodeDir); err != nil {
		fmt.Fprintln(os.Stderr, "nfpmconfigs:", err)
		os.Exit(1)
	}
}

func run(file, out, cacheDir, nodeDir string) error {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	epoch, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("SOURCE_DATE_EPOCH=%q: set it to the seconds since 1970", v)
	}
	r, _, err := spec.LoadRelease(file)
	if err != nil {
		return err
	}
	if cacheDir == "" {
		cacheDir = filepath.Clean(out) + ".cache"
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	nodeDir, err = filepath.Abs(nodeDir)
	if err != nil {
		return err
	}
	cfgs, err := packages.WriteNFPMConfigs(context.Background(), r, out,
		packages.WithCacheDir(cacheDir),
		packages.WithSourceDateEpoch(time.Unix(epoch, 0)),
		packages.WithNodeAgent(func(arch string) (string, error) {
			p := filepath.Join(nodeDir, "slipway-node-linux-"+arch)
			_, err := os.Stat(p)
			return p, err
		}))
	if err != nil {
		return err
	}
	for _, c := range cfgs {
		fmt.Println(c.Packager, c.Config, c.File)
	}
	return nil
}
