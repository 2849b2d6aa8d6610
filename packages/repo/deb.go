package repo

import (
	"archive/tar"
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/slipway-dev/slipway/internal/debfile"
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

// debControl extracts and parses the control file of a .deb.
func debControl(deb []byte) (paragraph, error) {
	m, err := debfile.Find(deb, "control.tar")
	if err != nil {
		return nil, err
	}
	return controlFromTar(m)
}

// controlFromTar decompresses the control.tar member and parses
// its ./control file.
func controlFromTar(m debfile.Member) (paragraph, error) {
	name := m.Name
	r, err := m.Open()
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
