package progress

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Board shows a fixed set of tasks that run in any order and overlap,
// such as the steps of a build graph: each is waiting, running, done or
// failed, with its time. Work inside a task reports through the same
// Reporter, so the whole run is one display.
type Board interface {
	// Start marks the task id running.
	Start(id string)
	// Done marks the task id finished; a non-nil err marks it failed,
	// or cancelled when err is a context's.
	Done(id string, err error)
	// Close ends the board; tasks that never started are shown as not
	// run. Call it before Reporter.Wait.
	Close()
}

// task is one row of a board.
type task struct {
	state    string // waiting, running, done, failed, cancelled
	started  time.Time
	finished time.Time
}

func (t *task) elapsed() time.Duration {
	switch {
	case t.started.IsZero():
		return 0
	case t.finished.IsZero():
		return time.Since(t.started)
	}
	return t.finished.Sub(t.started)
}

// Board prints a line when a task starts and when it ends, with how many
// have ended and how long it took.
func (l *lines) Board(name string, ids []string) Board {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s (%d steps)\n", name, len(ids))
	b := &lineBoard{l: l, n: len(ids), tasks: map[string]*task{}}
	for _, id := range ids {
		b.tasks[id] = &task{state: "waiting"}
	}
	return b
}

type lineBoard struct {
	l     *lines
	n     int
	ended int
	tasks map[string]*task
}

func (b *lineBoard) Start(id string) {
	b.l.mu.Lock()
	defer b.l.mu.Unlock()
	t := b.tasks[id]
	if t == nil {
		return
	}
	t.state, t.started = "running", time.Now()
	fmt.Fprintf(b.l.w, "  start  %s\n", id)
}

func (b *lineBoard) Done(id string, err error) {
	b.l.mu.Lock()
	defer b.l.mu.Unlock()
	t := b.tasks[id]
	if t == nil {
		return
	}
	t.finished = time.Now()
	b.ended++
	if t.state = ended(err); err != nil {
		fmt.Fprintf(b.l.w, "  %-6s %s after %s [%d/%d]: %v\n", t.state, id, round(t.elapsed()), b.ended, b.n, err)
		return
	}
	fmt.Fprintf(b.l.w, "  done   %s in %s [%d/%d]\n", id, round(t.elapsed()), b.ended, b.n)
}

func (b *lineBoard) Close() {
	b.l.mu.Lock()
	defer b.l.mu.Unlock()
	var notRun []string
	for id, t := range b.tasks {
		if t.state == "waiting" {
			notRun = append(notRun, id)
		}
	}
	if len(notRun) > 0 {
		slices.Sort(notRun)
		fmt.Fprintf(b.l.w, "  not run: %s\n", strings.Join(notRun, ", "))
	}
}

// ended is a finished task's state.
func ended(err error) string {
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "failed"
}

// Board adds one bar per task, in the order given, each showing the
// task's state and time; the bars of the work inside tasks appear below.
func (b *bars) Board(name string, ids []string) Board {
	bb := &barBoard{bars: map[string]*mpb.Bar{}, tasks: map[string]*task{}}
	width := 0
	for _, id := range ids {
		width = max(width, len(id))
	}
	bb.head = b.p.New(int64(len(ids)), mpb.NopStyle(), mpb.PrependDecorators(
		decor.Name(name+" "), decor.CountersNoUnit("%d/%d steps"), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)))
	for _, id := range ids {
		t := &task{state: "waiting"}
		bb.tasks[id] = t
		bb.bars[id] = b.p.New(1, mpb.NopStyle(),
			mpb.PrependDecorators(
				decor.Name(fmt.Sprintf("  %-*s", width, id)),
				decor.Any(func(decor.Statistics) string {
					bb.mu.Lock()
					defer bb.mu.Unlock()
					if t.started.IsZero() {
						return "  " + t.state
					}
					return fmt.Sprintf("  %-7s %s", t.state, round(t.elapsed()))
				}),
			))
	}
	return bb
}

type barBoard struct {
	head  *mpb.Bar
	mu    sync.Mutex
	bars  map[string]*mpb.Bar
	tasks map[string]*task
}

func (b *barBoard) Start(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.tasks[id]; t != nil {
		t.state, t.started = "running", time.Now()
	}
}

func (b *barBoard) Done(id string, err error) {
	b.mu.Lock()
	t, bar := b.tasks[id], b.bars[id]
	if t == nil {
		b.mu.Unlock()
		return
	}
	t.finished = time.Now()
	t.state = ended(err)
	b.mu.Unlock()
	b.head.Increment()
	if err != nil {
		bar.Abort(false)
		return
	}
	bar.SetCurrent(1)
}

func (b *barBoard) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, t := range b.tasks {
		if t.state == "waiting" {
			t.state = "not run"
			b.bars[id].Abort(false)
		}
	}
	b.head.Abort(false)
}

func round(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
