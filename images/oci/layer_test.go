package oci

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var testEpoch = time.Unix(1700000000, 0).UTC()

func testFiles(t *testing.T) []File {
	t.Helper()
	src := filepath.Join(t.TempDir(), "etcd")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho etcd\n"), 0o750); err != nil {
		t.Fatal(err)
	}
	return []File{
		{Path: "/usr/local/bin/etcd", Source: src},
		{Path: "/etc/slipway/version", Contents: []byte("v1\n")},
		{Path: "/var/lib/etcd", Type: TypeDir, Mode: 0o700, UID: 65532, GID: 65532},
		{Path: "/usr/bin/etcd", Type: TypeSymlink, Target: "../local/bin/etcd"},
		{Path: "/usr/local/bin/setuid-helper", Contents: []byte("x"), Mode: 0o755 | os.ModeSetuid},
	}
}

type tarEntry struct {
	hdr  *tar.Header
	body string
}

func readLayer(t *testing.T, l v1.Layer) []tarEntry {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" || zr.Comment != "" {
		t.Errorf("gzip header carries mtime %v name %q comment %q", zr.ModTime, zr.Name, zr.Comment)
	}
	var out []tarEntry
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{hdr, string(body)})
	}
}

// TestLayerFromFilesEntries reads the layer back with archive/tar and checks
// every header field that matters to runtimes and to reproducibility.
func TestLayerFromFilesEntries(t *testing.T) {
	l, err := LayerFromFiles(testFiles(t), WithEpoch(testEpoch))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		name     string
		typ      byte
		mode     int64
		uid      int
		body     string
		linkname string
	}
	wants := []want{
		{"etc/", tar.TypeDir, 0o755, 0, "", ""},
		{"etc/slipway/", tar.TypeDir, 0o755, 0, "", ""},
		{"etc/slipway/version", tar.TypeReg, 0o644, 0, "v1\n", ""},
		{"usr/", tar.TypeDir, 0o755, 0, "", ""},
		{"usr/bin/", tar.TypeDir, 0o755, 0, "", ""},
		{"usr/bin/etcd", tar.TypeSymlink, 0o777, 0, "", "../local/bin/etcd"},
		{"usr/local/", tar.TypeDir, 0o755, 0, "", ""},
		{"usr/local/bin/", tar.TypeDir, 0o755, 0, "", ""},
		{"usr/local/bin/etcd", tar.TypeReg, 0o750, 0, "#!/bin/sh\necho etcd\n", ""},
		{"usr/local/bin/setuid-helper", tar.TypeReg, 0o4755, 0, "x", ""},
		{"var/", tar.TypeDir, 0o755, 0, "", ""},
		{"var/lib/", tar.TypeDir, 0o755, 0, "", ""},
		{"var/lib/etcd/", tar.TypeDir, 0o700, 65532, "", ""},
	}
	got := readLayer(t, l)
	if len(got) != len(wants) {
		var names []string
		for _, e := range got {
			names = append(names, e.hdr.Name)
		}
		t.Fatalf("got %d entries %v, want %d", len(got), names, len(wants))
	}
	for i, w := range wants {
		h := got[i].hdr
		if h.Name != w.name || h.Typeflag != w.typ || h.Mode != w.mode || got[i].body != w.body || h.Linkname != w.linkname {
			t.Errorf("entry %d = %q type %c mode %o link %q body %q, want %+v", i, h.Name, h.Typeflag, h.Mode, h.Linkname, got[i].body, w)
		}
		if h.Uid != w.uid || h.Gid != w.uid || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %d:%d (%q:%q), want %d:%d with empty names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, w.uid, w.uid)
		}
		if !h.ModTime.Equal(testEpoch) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: times %v/%v/%v, want mtime %v only", h.Name, h.ModTime, h.AccessTime, h.ChangeTime, testEpoch)
		}
		if len(h.PAXRecords) != 0 || h.Format == tar.FormatPAX {
			t.Errorf("%s: PAX records %v (format %v)", h.Name, h.PAXRecords, h.Format)
		}
	}
}

// TestLayerFromFilesDeterministic shows the digest depends on content and
// epoch only, not on the order files are given in.
func TestLayerFromFilesDeterministic(t *testing.T) {
	files := testFiles(t)
	a, err := LayerFromFiles(files, WithEpoch(testEpoch))
	if err != nil {
		t.Fatal(err)
	}
	reversed := slices.Clone(files)
	slices.Reverse(reversed)
	b, err := LayerFromFiles(reversed, WithEpoch(testEpoch))
	if err != nil {
		t.Fatal(err)
	}
	c, err := LayerFromFiles(files, WithEpoch(testEpoch.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	da, db, dc := digestOf(t, a), digestOf(t, b), digestOf(t, c)
	if da != db {
		t.Errorf("reordered files changed the digest: %s vs %s", da, db)
	}
	if da == dc {
		t.Errorf("a different epoch kept the digest %s", da)
	}
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestLayerFromFilesInvalid checks each problem is reported, all at once.
func TestLayerFromFilesInvalid(t *testing.T) {
	files := []File{
		{Path: "relative/path"},
		{Path: "/a/../b"},
		{Path: "/y", Source: "/etc/hostname", Contents: []byte("y")},
		{Path: "/x", Contents: []byte("first")},
		{Path: "/x", Contents: []byte("dup")},
		{Path: "/link", Type: TypeSymlink},
		{Path: "/d", Type: TypeDir, Contents: []byte("z")},
		{Path: "/f", Contents: []byte("file")},
		{Path: "/f/child", Contents: []byte("under a file")},
		{Path: "/dev/null", Mode: os.ModeDevice | 0o666},
		{Path: "/t", Type: "fifo"},
	}
	_, err := LayerFromFiles(files)
	if err == nil {
		t.Fatal("no error for invalid files")
	}
	for _, want := range []string{
		`"relative/path": path must be absolute`, `"/a/../b": path must be absolute`,
		"both Source and Contents", `"/x": duplicate path`, "Target must be set",
		"Source or Contents set on a dir", `"/f/child": parent "/f" is not a dir`,
		"has type bits", `unknown type "fifo"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestLayerFromFilesLongPath checks paths over the 100-byte ustar limit use
// GNU long names rather than PAX records.
func TestLayerFromFilesLongPath(t *testing.T) {
	long := "/usr/lib/" + strings.Repeat("d", 120) + "/file"
	l, err := LayerFromFiles([]File{{Path: long, Contents: []byte("x")}}, WithEpoch(testEpoch))
	if err != nil {
		t.Fatal(err)
	}
	got := readLayer(t, l)
	last := got[len(got)-1].hdr
	if last.Name != long[1:] || len(last.PAXRecords) != 0 || last.Format != tar.FormatGNU {
		t.Errorf("long entry %q format %v pax %v", last.Name, last.Format, last.PAXRecords)
	}
}
