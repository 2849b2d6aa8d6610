package rootfs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// ExtractDeb unpacks the files of a Debian package (its data.tar member)
// into dir with Extract's safety rules: what `dpkg-deb -x` does, without
// running maintainer scripts. It is how distroless-style bases are made
// from Debian packages (libc6 for dynamically linked binaries).
func ExtractDeb(ctx context.Context, dir, deb string, opts ...Option) error {
	data, err := os.ReadFile(deb)
	if err != nil {
		return fmt.Errorf("reading package: %w", err)
	}
	name, body, err := arMember(data, "data.tar")
	if err != nil {
		return fmt.Errorf("reading %s: %w", deb, err)
	}
	r, err := decompress(name, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("reading %s: %w", deb, err)
	}
	defer r.Close()
	if err := Extract(ctx, dir, []io.Reader{r}, opts...); err != nil {
		return fmt.Errorf("unpacking %s: %w", deb, err)
	}
	return nil
}

// arMember returns the first member of an ar archive whose name starts
// with prefix.
func arMember(data []byte, prefix string) (string, []byte, error) {
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(data, []byte(magic)) {
		return "", nil, errors.New("not a .deb: no ar header")
	}
	rest := data[len(magic):]
	for len(rest) >= 60 {
		hdr := rest[:60]
		name := strings.TrimRight(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 || size > int64(len(rest)-60) {
			return "", nil, fmt.Errorf("ar member %q: bad size", name)
		}
		if strings.HasPrefix(name, prefix) {
			return name, rest[60 : 60+size], nil
		}
		rest = rest[60+size+size%2:]
	}
	return "", nil, fmt.Errorf("no %s member", prefix)
}

func decompress(name string, r io.Reader) (io.ReadCloser, error) {
	switch {
	case strings.HasSuffix(name, ".tar"):
		return io.NopCloser(r), nil
	case strings.HasSuffix(name, ".gz"):
		return gzip.NewReader(r)
	case strings.HasSuffix(name, ".xz"):
		x, err := xz.NewReader(r)
		return io.NopCloser(x), err
	case strings.HasSuffix(name, ".zst"):
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression of %s", name)
}
