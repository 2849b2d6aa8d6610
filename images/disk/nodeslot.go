package disk

import (
	"fmt"
	"io"
	"os"
)

// slotDevice is a slot partition: ReadAt and WriteAt are bounded by it.
type slotDevice struct {
	f *os.File
	p Partition
}

// ReadAt reads within the partition; reading past its end gives io.EOF.
func (s *slotDevice) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading slot %s at %d: negative offset", s.p.Label, off)
	}
	if off >= s.p.Size {
		return 0, io.EOF
	}
	if rest := s.p.Size - off; int64(len(b)) > rest {
		n, err := s.f.ReadAt(b[:rest], s.p.Start+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return s.f.ReadAt(b, s.p.Start+off)
}

// WriteAt writes within the partition; a write that would cross its end
// writes nothing and fails.
func (s *slotDevice) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off > s.p.Size || int64(len(b)) > s.p.Size-off {
		return 0, fmt.Errorf("writing %d bytes at %d: outside slot %s (%d bytes)", len(b), off, s.p.Label, s.p.Size)
	}
	return s.f.WriteAt(b, s.p.Start+off)
}

// Size is the partition's size in bytes.
func (s *slotDevice) Size() int64 { return s.p.Size }

// Sync fsyncs the image file.
func (s *slotDevice) Sync() error { return s.f.Sync() }

// Close does nothing: the image file is the Device's.
func (s *slotDevice) Close() error { return nil }
