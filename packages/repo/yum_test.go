package repo

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// repomdLocations finds each data record's type and location in repomd.xml.
var repomdLocations = regexp.MustCompile(`<data type="(\w+)">(?s:.*?)<location href="([^"]+)"/>`)

// repodataXML returns the uncompressed primary, filelists and other XML of
// the repository in dir, read through its repomd.xml.
func repodataXML(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	repomd, err := os.ReadFile(filepath.Join(dir, yumRepomd))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, m := range repomdLocations.FindAllStringSubmatch(string(repomd), -1) {
		gz, err := os.ReadFile(filepath.Join(dir, m[2]))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s: %v", m[2], err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", m[2], err)
		}
		out[m[1]] = data
	}
	return out
}

// TestYUMMatchesCreaterepo publishes the test packages with WriteYUM and
// with createrepo_c (pinned to the same time) and requires identical
// uncompressed XML and the same repomd.xml up to the compressed files'
// checksums and sizes.
func TestYUMMatchesCreaterepo(t *testing.T) {
	ours, theirs := t.TempDir(), t.TempDir()
	for _, n := range buildPackages(t, ours, "rpm") {
		data, err := os.ReadFile(filepath.Join(ours, n))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(theirs, n), data)
		// createrepo_c writes each file's mtime as <time file>.
		if err := os.Chtimes(filepath.Join(theirs, n), repoDate, repoDate); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteYUM(t.Context(), ours, Options{Date: repoDate}); err != nil {
		t.Fatalf("WriteYUM: %v", err)
	}
	rev := fmt.Sprint(repoDate.Unix())
	mustRun(t, "", "createrepo_c", "--no-database", "--revision", rev, "--set-timestamp-to-revision", theirs)

	got, want := repodataXML(t, ours), repodataXML(t, theirs)
	for _, kind := range []string{"primary", "filelists", "other"} {
		if want[kind] == nil {
			t.Fatalf("createrepo_c wrote no %s", kind)
		}
		if !bytes.Equal(got[kind], want[kind]) {
			t.Errorf("%s.xml differs from createrepo_c's:\n--- ours\n%s\n--- createrepo_c\n%s", kind, got[kind], want[kind])
		}
	}
	mask := regexp.MustCompile(`(<checksum type="sha256">|<size>|href="repodata/)[0-9a-f]+`)
	normalize := func(dir string) string {
		data, err := os.ReadFile(filepath.Join(dir, yumRepomd))
		if err != nil {
			t.Fatal(err)
		}
		return mask.ReplaceAllString(string(data), "${1}X")
	}
	if g, w := normalize(ours), normalize(theirs); g != w {
		t.Errorf("repomd.xml differs from createrepo_c's beyond compressed checksums:\n--- ours\n%s\n--- createrepo_c\n%s", g, w)
	}
}
