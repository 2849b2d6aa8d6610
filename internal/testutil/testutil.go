// Package testutil holds small helpers that tests of several packages
// share: retrying a check until a server is ready, and a buffer a child
// process can write to while the test reads it.
package testutil

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// Eventually retries check every 200 ms until it passes, failing the test
// with check's last error once limit has passed.
func Eventually(t testing.TB, limit time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", limit, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes, e.g. a child
// process's stdout and stderr.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
