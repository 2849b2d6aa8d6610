// Command profile runs a cold `slipway packages build` in process (an empty
// cache directory each time) with a CPU profile, and prints when each stage
// started and each step finished, to see where a build's time goes:
//
//	go run ./bench/profile -f build/bench/release.yaml -cpuprofile build/bench/cpu.pprof
//	go tool pprof -top build/bench/cpu.pprof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"time"

	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/packages"
	"github.com/slipway-dev/slipway/spec"
)

func main() {
	file := flag.String("f", "build/bench/release.yaml", "release spec")
	out := flag.String("o", "build/bench/profile-out", "output directory (emptied first)")
	cpu := flag.String("cpuprofile", "", "write a CPU profile here")
	tr := flag.String("trace", "", "write a runtime trace here")
	parallel := flag.Int("parallel", runtime.NumCPU(), "packages built at once")
	nodeDir := flag.String("node-agent-dir", "bin", "directory holding slipway-node-linux-ARCH")
	warm := flag.Bool("warm", false, "build a second time on the same cache and time that too")
	flag.Parse()
	if err := run(*file, *out, *cpu, *tr, *nodeDir, *parallel, *warm); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(file, out, cpu, tr, nodeDir string, parallel int, warm bool) error {
	epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		return fmt.Errorf("set SOURCE_DATE_EPOCH: %w", err)
	}
	r, _, err := spec.LoadRelease(file)
	if err != nil {
		return err
	}
	nodeDir, _ = filepath.Abs(nodeDir)
	cache, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), "profile-cache-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	os.RemoveAll(out)
	rep := &timeline{start: time.Now()}
	opts := []packages.Option{
		packages.WithCacheDir(cache),
		packages.WithSourceDateEpoch(time.Unix(epoch, 0)),
		packages.WithParallel(parallel),
		packages.WithProgress(rep),
		packages.WithNodeAgent(func(arch string) (string, error) {
			return filepath.Join(nodeDir, "slipway-node-linux-"+arch), nil
		}),
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if tr != "" {
		f, err := os.Create(tr)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	var ru0 runtimeUsage
	ru0.read()
	w0 := schedWait()
	t0 := time.Now()
	arts, err := packages.Build(context.Background(), r, out, opts...)
	if err != nil {
		return err
	}
	wall := time.Since(t0)
	var ru1 runtimeUsage
	ru1.read()
	fmt.Printf("cold build: %d packages, %.2fs wall, %.2fs cpu, %.2fs runnable but waiting for a CPU (machine load), %d CPUs\n",
		len(arts), wall.Seconds(), ru1.cpu-ru0.cpu, schedWait()-w0, runtime.NumCPU())
	if warm {
		rep.start = time.Now()
		ru0.read()
		t0 = time.Now()
		if _, err := packages.Build(context.Background(), r, out, opts...); err != nil {
			return err
		}
		wall = time.Since(t0)
		ru1.read()
		fmt.Printf("warm build: %.3fs wall, %.3fs cpu\n", wall.Seconds(), ru1.cpu-ru0.cpu)
	}
	return nil
}

// timeline prints each stage's start and each step's end, in seconds since
// the build started.
type timeline struct {
	start time.Time
	mu    sync.Mutex
}

func (t *timeline) Stage(name string, n int) progress.Stage {
	t.print("start %s (%d steps)", name, n)
	return &stage{t: t}
}
func (t *timeline) Wait() {}

// Transfer reports nothing: the packages build counts steps, not bytes.
func (t *timeline) Transfer(string) progress.Transfer { return progress.Discard().Transfer("") }

// Board reports nothing: the packages build runs no graph.
func (t *timeline) Board(name string, ids []string) progress.Board {
	return progress.Discard().Board(name, ids)
}

func (t *timeline) print(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Printf("%7.3fs  %s\n", time.Since(t.start).Seconds(), fmt.Sprintf(format, args...))
}

type stage struct{ t *timeline }

func (s *stage) Step(msg string) { s.t.print("  done %s", msg) }
func (s *stage) Abort()          { s.t.print("  aborted") }
