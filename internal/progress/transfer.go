package progress

import (
	"fmt"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Transfer is byte-counted work, such as a push.
type Transfer interface {
	// Set reports done of total bytes (total may grow as work is found).
	Set(done, total int64)
	// Done ends the transfer.
	Done()
}

// Transfer starts a byte-counted stage. Plain lines print the start and
// the end with the byte count; bars show bytes, speed and time.
func (l *lines) Transfer(name string) Transfer {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s\n", name)
	return &lineTransfer{l: l, name: name}
}

type lineTransfer struct {
	l           *lines
	name        string
	done, total int64
}

func (t *lineTransfer) Set(done, total int64) { t.done, t.total = done, total }

func (t *lineTransfer) Done() {
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	fmt.Fprintf(t.l.w, "  %s: %s written\n", t.name, decor.SizeB1024(t.done))
}

func (b *bars) Transfer(name string) Transfer {
	bar := b.p.AddBar(0,
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.Counters(decor.SizeB1024(0), "% .1f / % .1f", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)),
	)
	return &barTransfer{bar: bar}
}

type barTransfer struct{ bar *mpb.Bar }

func (t *barTransfer) Set(done, total int64) {
	t.bar.SetTotal(total, false)
	t.bar.SetCurrent(done)
}

func (t *barTransfer) Done() { t.bar.SetTotal(-1, true) }
