package ab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/slipway-dev/slipway/node/boot"
)

// Blob is content an upgrade writes: its size, its digest
// ("sha256:HEX") and how to read it. The reader Open returns must fail
// at its end when the bytes read are not the digest's (node/payload's
// readers do), so that what Exec wrote is what was verified.
type Blob struct {
	Size   int64
	Digest string
	Open   func(ctx context.Context) (io.ReadCloser, error)
}

// Contents are the blobs of the version a plan installs.
type Contents struct {
	Slot, Kernel, Initrd Blob
}

// ExecOptions observe a plan's execution.
type ExecOptions struct {
	// Step is called before each write with its index and the op.
	Step func(i int, op Op)
	// Written is called as the slot write progresses.
	Written func(done, total int64)
}

// ErrReadBack is returned when a slot does not read back the bytes
// that were written into it.
var ErrReadBack = errors.New("the slot does not read back what was written")

// Exec carries out a plan's writes on dev in order, each synced before
// the next (the Device's methods sync; the slot is synced here and read
// back). It stops at the first error: by the protocol the disk then
// still boots what it booted before.
func Exec(ctx context.Context, dev Device, p Plan, c Contents, o ExecOptions) error {
	for i, op := range p.Ops {
		if err := ctx.Err(); err != nil {
			return err
		}
		if o.Step != nil {
			o.Step(i, op)
		}
		if err := execOp(ctx, dev, op, c, o); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

func execOp(ctx context.Context, dev Device, op Op, c Contents, o ExecOptions) error {
	switch op.Kind {
	case RemoveEntry:
		return dev.Remove(op.Path)
	case WriteEntry:
		return dev.WriteFile(op.Path, bytes.NewReader(op.Entry.Marshal()))
	case WriteSlot:
		return writeSlot(ctx, dev, op.Slot, c.Slot, o.Written)
	case WriteFile:
		b, err := fileBlob(op, c)
		if err != nil {
			return err
		}
		return writeFile(ctx, dev, op.Path, b)
	}
	return fmt.Errorf("unknown operation %q", op.Kind)
}

func fileBlob(op Op, c Contents) (Blob, error) {
	slot := boot.SlotFromPath(op.Path)
	switch op.Path {
	case boot.KernelPath(slot):
		return c.Kernel, nil
	case boot.InitrdPath(slot):
		return c.Initrd, nil
	}
	return Blob{}, fmt.Errorf("no content for %s", op.Path)
}

func writeFile(ctx context.Context, dev Device, name string, b Blob) error {
	r, err := b.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	return dev.WriteFile(name, r)
}

// slotChunk is the unit of slot writes: big enough that a write costs
// little more than its bytes, small enough to report progress often.
const slotChunk = 4 << 20

// writeSlot streams the blob into the slot, reading each chunk back and
// comparing it with what was written, then syncs. The stream itself is
// checked against the blob's digest by its reader (Blob.Open), so the
// slot then holds the digest's content.
func writeSlot(ctx context.Context, dev Device, slot string, b Blob, written func(done, total int64)) error {
	s, err := dev.Slot(slot)
	if err != nil {
		return err
	}
	defer s.Close()
	if b.Size > s.Size() {
		return fmt.Errorf("the slot filesystem (%d bytes) does not fit slot %s (%d bytes)", b.Size, slot, s.Size())
	}
	r, err := b.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := copyToSlot(ctx, s, r, b.Size, written)
	if err != nil {
		return err
	}
	if n != b.Size {
		return fmt.Errorf("the slot filesystem has %d bytes, want %d", n, b.Size)
	}
	if err := s.Sync(); err != nil {
		return fmt.Errorf("syncing slot %s: %w", slot, err)
	}
	return nil
}

// slotBuffers is how many chunks may be in flight: one being read (and
// hashed by the blob's reader), one being written and read back, one
// waiting.
const slotBuffers = 3

// copyToSlot copies r to s from offset 0: one goroutine reads (and so
// hashes) the next chunks while this one writes the current chunk and
// reads it back. A chunk that does not read back as written is
// ErrReadBack.
func copyToSlot(ctx context.Context, s SlotDevice, r io.Reader, total int64, written func(done, total int64)) (int64, error) {
	type chunk struct {
		buf []byte
		err error
	}
	free := make(chan []byte, slotBuffers)
	full := make(chan chunk, slotBuffers)
	for i := 0; i < slotBuffers; i++ {
		free <- make([]byte, slotChunk)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(full)
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			n, err := io.ReadFull(r, buf)
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				if n > 0 {
					full <- chunk{buf: buf[:n]}
				}
				return
			}
			full <- chunk{buf: buf[:n], err: err}
			if err != nil {
				return
			}
		}
	}()
	back := make([]byte, slotChunk)
	var off int64
	for c := range full {
		if c.err != nil {
			return off, c.err
		}
		if err := ctx.Err(); err != nil {
			return off, err
		}
		if _, err := s.WriteAt(c.buf, off); err != nil {
			return off, err
		}
		if _, err := s.ReadAt(back[:len(c.buf)], off); err != nil {
			return off, fmt.Errorf("reading the slot back at %d: %w", off, err)
		}
		if !bytes.Equal(back[:len(c.buf)], c.buf) {
			return off, fmt.Errorf("%w: %d bytes at offset %d differ", ErrReadBack, len(c.buf), off)
		}
		off += int64(len(c.buf))
		if written != nil {
			written(off, total)
		}
		free <- c.buf[:cap(c.buf)]
	}
	return off, nil
}
