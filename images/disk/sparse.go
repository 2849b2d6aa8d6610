package disk

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyChunk bounds one copy_file_range call, so cancellation is noticed.
const copyChunk = 64 << 20

// copyRange copies n bytes from src at srcOff to dst at dstOff, in the
// kernel (copy_file_range, which reflinks where the filesystem can) or,
// where that is not supported, through a buffer.
func copyRange(ctx context.Context, dst, src *os.File, dstOff, srcOff, n int64) error {
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := unix.CopyFileRange(int(src.Fd()), &srcOff, int(dst.Fd()), &dstOff, int(min(n, copyChunk)), 0)
		if err != nil && isUnsupported(err) {
			return bufferedCopy(ctx, dst, src, dstOff, srcOff, n)
		}
		if err != nil {
			return err
		}
		if c == 0 {
			return io.ErrUnexpectedEOF
		}
		n -= int64(c)
	}
	return nil
}

func isUnsupported(err error) bool {
	return errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EXDEV) ||
		errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)
}

func bufferedCopy(ctx context.Context, dst, src *os.File, dstOff, srcOff, n int64) error {
	buf := make([]byte, 4*MiB)
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := src.ReadAt(buf[:min(n, int64(len(buf)))], srcOff)
		if c == 0 && err != nil {
			return err
		}
		if _, err := dst.WriteAt(buf[:c], dstOff); err != nil {
			return err
		}
		srcOff, dstOff, n = srcOff+int64(c), dstOff+int64(c), n-int64(c)
	}
	return nil
}

// copySparse copies src's data regions (SEEK_DATA/SEEK_HOLE) to the same
// offsets of dst, which must already have src's size and read as zeros.
func copySparse(ctx context.Context, dst, src *os.File, size int64) error {
	for off := int64(0); off < size; {
		data, err := unix.Seek(int(src.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) { // only a hole is left
			return nil
		}
		if err != nil {
			return err
		}
		hole, err := unix.Seek(int(src.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		if err := copyRange(ctx, dst, src, data, data, hole-data); err != nil {
			return err
		}
		off = hole
	}
	return nil
}
