package progress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
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

// TestBoardLines: a board prints each task's start and end with how many
// have ended; a failed task says why, a cancelled one says so, and tasks
// that never started are listed as not run.
func TestBoardLines(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf)
	b := r.Board("release demo 1.0", []string{"packages", "images", "os/amd64", "disk/amd64"})
	b.Start("packages")
	b.Start("images")
	b.Done("images", nil)
	b.Done("packages", errors.New("kubectl: checksum mismatch"))
	b.Start("os/amd64")
	b.Done("os/amd64", fmt.Errorf("building: %w", context.Canceled))
	b.Close()
	r.Wait()
	got := regexp.MustCompile(`(in|after) [0-9.]+m?s`).ReplaceAllString(buf.String(), "$1 T")
	want := `release demo 1.0 (4 steps)
  start  packages
  start  images
  done   images in T [1/4]
  failed packages after T [2/4]: kubectl: checksum mismatch
  start  os/amd64
  cancelled os/amd64 after T [3/4]: building: context canceled
  not run: disk/amd64
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
