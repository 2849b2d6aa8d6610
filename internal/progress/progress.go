// Package progress reports long work: bars on a terminal (mpb), plain log
// lines otherwise, so CI logs stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Reporter shows the progress of a group of steps.
type Reporter interface {
	// Stage starts a stage of n steps, e.g. "building packages".
	Stage(name string, n int) Stage
	// Transfer starts a byte-counted stage, e.g. "pushing etcd".
	Transfer(name string) Transfer
	// Board starts a set of tasks that run in any order, e.g. the steps
	// of a build graph.
	Board(name string, ids []string) Board
	// Wait flushes the display; call it before printing a summary.
	Wait()
}

// Stage is one stage of work.
type Stage interface {
	// Step records one finished step with a short description.
	Step(msg string)
	// Abort ends the stage early.
	Abort()
}

// New returns bars when w is a terminal and plain lines otherwise.
func New(w io.Writer) Reporter {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return &bars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(120*time.Millisecond))}
	}
	return &lines{w: w}
}

// Discard reports nothing.
func Discard() Reporter { return &lines{w: io.Discard} }

type lines struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lines) Stage(name string, n int) Stage {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s (%d)\n", name, n)
	return &lineStage{l: l, n: n}
}

func (l *lines) Wait() {}

type lineStage struct {
	l       *lines
	n, done int
}

func (s *lineStage) Step(msg string) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	s.done++
	fmt.Fprintf(s.l.w, "  [%d/%d] %s\n", s.done, s.n, msg)
}

func (s *lineStage) Abort() {}

type bars struct{ p *mpb.Progress }

func (b *bars) Stage(name string, n int) Stage {
	bar := b.p.AddBar(int64(n),
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)),
	)
	return &barStage{bar: bar}
}

func (b *bars) Wait() { b.p.Wait() }

type barStage struct{ bar *mpb.Bar }

func (s *barStage) Step(string) { s.bar.Increment() }

func (s *barStage) Abort() { s.bar.Abort(false) }

// isTerminal reports whether f is a terminal with a known width; a pty
// without a size (some CI runners) gets plain lines.
func isTerminal(f *os.File) bool {
	if !term.IsTerminal(int(f.Fd())) {
		return false
	}
	w, _, err := term.GetSize(int(f.Fd()))
	return err == nil && w > 0
}
