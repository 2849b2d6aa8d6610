// Package debfile reads .deb files: an ar archive holding debian-binary,
// control.tar[.gz|.xz|.zst] and data.tar[.gz|.xz|.zst] (deb(5)).
package debfile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Member is one member of the ar archive.
type Member struct {
	Name string
	Body []byte
}

// Members returns the archive's members in order.
func Members(deb []byte) ([]Member, error) {
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(deb, []byte(magic)) {
		return nil, errors.New("not a .deb: no ar header")
	}
	var out []Member
	rest := deb[len(magic):]
	for len(rest) >= 60 {
		hdr := rest[:60]
		name := strings.TrimRight(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 || size > int64(len(rest)-60) {
			return nil, fmt.Errorf("reading ar member %q: bad size", name)
		}
		out = append(out, Member{Name: name, Body: rest[60 : 60+size]})
		rest = rest[min(int64(len(rest)), 60+size+size%2):]
	}
	return out, nil
}

// Find returns the first member whose name starts with prefix
// ("control.tar", "data.tar").
func Find(deb []byte, prefix string) (Member, error) {
	members, err := Members(deb)
	if err != nil {
		return Member{}, err
	}
	for _, m := range members {
		if strings.HasPrefix(m.Name, prefix) {
			return m, nil
		}
	}
	return Member{}, fmt.Errorf("no %s member", prefix)
}

// Open returns the uncompressed tar stream of a member, by its name's
// extension (.tar, .tar.gz, .tar.xz, .tar.zst).
func (m Member) Open() (io.ReadCloser, error) {
	r := bytes.NewReader(m.Body)
	switch {
	case strings.HasSuffix(m.Name, ".tar"):
		return io.NopCloser(r), nil
	case strings.HasSuffix(m.Name, ".gz"):
		return gzip.NewReader(r)
	case strings.HasSuffix(m.Name, ".xz"):
		x, err := xz.NewReader(r)
		return io.NopCloser(x), err
	case strings.HasSuffix(m.Name, ".zst"):
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression of %s", m.Name)
}
