package progress

import (
	"bytes"
	"testing"
)

func TestLinesWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf)
	s := r.Stage("building packages", 2)
	s.Step("a.deb")
	s.Step("b.rpm (cached)")
	r.Wait()
	want := "building packages (2)\n  [1/2] a.deb\n  [2/2] b.rpm (cached)\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}
