package repo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writers are the two repository writers, each with the package format it
// publishes.
var writers = []struct {
	format string
	write  func(context.Context, string, Options) error
}{
	{"deb", WriteAPT},
	{"rpm", WriteYUM},
}

// copyPackages copies the files at the top of src into a new
// directory.
func copyPackages(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for name, data := range readTree(t, src) {
		if !strings.Contains(name, "/") {
			writeFile(t, filepath.Join(dst, name), data)
		}
	}
	return dst
}

// TestPublishingIsDeterministic publishes the same packages into two
// directories, and again into the first, and requires identical bytes.
func TestPublishingIsDeterministic(t *testing.T) {
	for _, w := range writers {
		t.Run(w.format, func(t *testing.T) {
			a := t.TempDir()
			buildPackages(t, a, w.format)
			b := copyPackages(t, a)
			o := Options{Signer: newSigner(t, testKey), Date: repoDate}
			for _, dir := range []string{a, b, a} {
				if err := w.write(t.Context(), dir, o); err != nil {
					t.Fatal(err)
				}
			}
			ta, tb := readTree(t, a), readTree(t, b)
			if len(ta) != len(tb) {
				t.Fatalf("published %d files once and %d files the other time:\n%v\n%v", len(ta), len(tb), keys(ta), keys(tb))
			}
			for name, data := range ta {
				if !bytes.Equal(data, tb[name]) {
					t.Errorf("%s differs between two runs", name)
				}
			}

			later := o
			later.Date = repoDate.Add(time.Hour)
			if err := w.write(t.Context(), b, later); err != nil {
				t.Fatal(err)
			}
			changed := 0
			for name, data := range readTree(t, b) {
				if !bytes.Equal(data, ta[name]) {
					changed++
				}
			}
			if changed == 0 {
				t.Error("publishing with another Date changed nothing")
			}
		})
	}
}

// TestRepublishRemovesStaleFiles republishes after a package was removed
// and without a Signer, and checks nothing stale is left behind.
func TestRepublishRemovesStaleFiles(t *testing.T) {
	for _, w := range writers {
		t.Run(w.format, func(t *testing.T) {
			dir := t.TempDir()
			names := buildPackages(t, dir, w.format)
			if err := w.write(t.Context(), dir, Options{Signer: newSigner(t, testKey), Date: repoDate}); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, names[2])); err != nil {
				t.Fatal(err)
			}
			if err := w.write(t.Context(), dir, Options{Date: repoDate}); err != nil {
				t.Fatal(err)
			}
			fresh := copyPackages(t, dir)
			for _, n := range keys(readTree(t, fresh)) {
				if !strings.HasSuffix(n, "."+w.format) {
					os.Remove(filepath.Join(fresh, n))
				}
			}
			if err := w.write(t.Context(), fresh, Options{Date: repoDate}); err != nil {
				t.Fatal(err)
			}
			if got, want := keys(readTree(t, dir)), keys(readTree(t, fresh)); !slices.Equal(got, want) {
				t.Errorf("republished repository holds\n%v\nwant (as if fresh)\n%v", got, want)
			}
		})
	}
}

// TestFailureLeavesMetadataUntouched makes publishing fail and checks that
// no metadata file changed and no temporary file is left.
func TestFailureLeavesMetadataUntouched(t *testing.T) {
	for _, w := range writers {
		t.Run(w.format, func(t *testing.T) {
			dir := t.TempDir()
			buildPackages(t, dir, w.format)
			if err := w.write(t.Context(), dir, Options{Signer: newSigner(t, testKey), Date: repoDate}); err != nil {
				t.Fatal(err)
			}
			before := readTree(t, dir)
			broken := "broken." + w.format
			writeFile(t, filepath.Join(dir, broken), []byte("not a package"))
			err := w.write(t.Context(), dir, Options{Date: repoDate.Add(time.Hour)})
			if err == nil || !strings.Contains(err.Error(), broken) {
				t.Fatalf("publishing with %s: error %v, want one naming it", broken, err)
			}
			os.Remove(filepath.Join(dir, broken))

			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := w.write(ctx, dir, Options{Date: repoDate.Add(time.Hour)}); !errors.Is(err, context.Canceled) {
				t.Fatalf("publishing with a cancelled context: error %v, want context.Canceled", err)
			}
			after := readTree(t, dir)
			if got, want := keys(after), keys(before); !slices.Equal(got, want) {
				t.Fatalf("files after failures:\n%v\nwant\n%v", got, want)
			}
			for name, data := range before {
				if !bytes.Equal(data, after[name]) {
					t.Errorf("%s changed although publishing failed", name)
				}
			}
		})
	}
}

func TestPublishRemovesTemporariesOnError(t *testing.T) {
	dir := t.TempDir()
	err := publish(t.Context(), dir, []file{{"a", []byte("a")}, {"missing/b", []byte("b")}})
	if err == nil {
		t.Fatal("publish into a missing directory succeeded")
	}
	if left := keys(readTree(t, dir)); len(left) > 0 {
		t.Errorf("publish left %v behind", left)
	}
}

// keys returns m's keys, sorted.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
