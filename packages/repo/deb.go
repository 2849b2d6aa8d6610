package repo

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// debFile is one .deb as the Packages index describes it.
type debFile struct {
	name    string    // file name in the repository root
	control paragraph // fields of the package's control file
	size    int64
	md5     string
	sha1    string
	sha256  string
}

// readDeb reads the control file and checksums of the .deb at p.
func readDeb(p string) (*debFile, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	control, err := debControl(data)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{"Package", "Version", "Architecture"} {
		if control.get(f) == "" {
			return nil, fmt.Errorf("control file has no %s field", f)
		}
	}
	m, s1, s256 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
	return &debFile{
		name:    path.Base(p),
		control: control,
		size:    int64(len(data)),
		md5:     hex.EncodeToString(m[:]),
		sha1:    hex.EncodeToString(s1[:]),
		sha256:  hex.EncodeToString(s256[:]),
	}, nil
}

// debControl extracts and parses the control file of a .deb: an ar archive
// holding debian-binary, control.tar[.gz|.xz|.zst] and data.tar.*.
func debControl(deb []byte) (paragraph, error) {
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(deb, []byte(magic)) {
		return nil, errors.New("not a .deb: no ar header")
	}
	rest := deb[len(magic):]
	for len(rest) >= 60 {
		hdr := rest[:60]
		name := strings.TrimRight(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 || size > int64(len(rest)-60) {
			return nil, fmt.Errorf("reading ar member %q: bad size", name)
		}
		body := rest[60 : 60+size]
		if strings.HasPrefix(name, "control.tar") {
			return controlFromTar(name, body)
		}
		rest = rest[60+size+size%2:]
	}
	return nil, errors.New("no control.tar member")
}

// controlFromTar decompresses the control.tar member called name and parses
// its ./control file.
func controlFromTar(name string, body []byte) (paragraph, error) {
	r, err := decompressor(path.Ext(name), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("reading %s: no control file", name)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		if path.Clean(h.Name) != "control" || h.Typeflag != tar.TypeReg {
			continue
		}
		p, err := parseParagraph(bufio.NewReader(tr))
		if err != nil {
			return nil, fmt.Errorf("parsing control file: %w", err)
		}
		return p, nil
	}
}

// decompressor returns a reader that decompresses r according to the file
// extension ext (".tar" for none).
func decompressor(ext string, r io.Reader) (io.ReadCloser, error) {
	switch ext {
	case ".tar":
		return io.NopCloser(r), nil
	case ".gz":
		return gzip.NewReader(r)
	case ".xz":
		x, err := xz.NewReader(r)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(x), nil
	case ".zst":
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression %q", ext)
}
