package e2e

import (
	"path/filepath"
	"testing"
)

// TestReproducible publishes both specs a second time with a fresh cache
// and compares every file with the shared release's, byte for byte: the
// signed packages (signatures are made at SOURCE_DATE_EPOCH), the apt and
// yum indexes and their signatures, and each artifact's sha256 and
// contentSha256 as --json reports them. `packages build` of the arm64 spec
// with a third cache must make the same packages as `packages repo`.
func TestReproducible(t *testing.T) {
	f := release(t)
	second := filepath.Join(t.TempDir(), "repo")
	var arts []artifact
	for _, s := range []string{f.mainSpec, f.armSpec} {
		res, err := buildJSON(t, "repo", s, second, filepath.Join(t.TempDir(), "cache"))
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, res.Artifacts...)
	}
	compareListings(t, f.repo, second)
	compareArtifacts(t, f.artifacts, arts)

	built := filepath.Join(t.TempDir(), "build")
	res, err := buildJSON(t, "build", f.armSpec, built, filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	compareArtifacts(t, f.artifacts, res.Artifacts)
	for _, a := range res.Artifacts {
		if got := fileSHA256(t, filepath.Join(built, a.File)); got != a.SHA256 {
			t.Errorf("%s: --json says sha256 %s, file is %s", a.File, a.SHA256, got)
		}
	}
}

func compareListings(t *testing.T, a, b string) {
	t.Helper()
	la, lb := listing(t, a), listing(t, b)
	in := map[string]bool{}
	for _, e := range la {
		in[e] = true
	}
	for _, e := range lb {
		if !in[e] {
			t.Errorf("second build differs: %s", e)
		}
		delete(in, e)
	}
	for e := range in {
		t.Errorf("first build only: %s", e)
	}
	t.Logf("compared %d files and directories", len(la))
}

// compareArtifacts checks that every artifact of got matches the one of
// the same file name in want; rpms must be signed (debs are signed
// through the repository's Release; embedded deb signatures are opt-in).
func compareArtifacts(t *testing.T, want, got []artifact) {
	t.Helper()
	byFile := map[string]artifact{}
	for _, a := range want {
		byFile[a.File] = a
	}
	for _, g := range got {
		w, ok := byFile[g.File]
		switch {
		case !ok:
			t.Errorf("%s was not in the first build", g.File)
		case !g.Signed && g.Format == "rpm":
			t.Errorf("%s is not signed", g.File)
		case g.SHA256 != w.SHA256 || g.ContentSHA256 != w.ContentSHA256:
			t.Errorf("%s: sha256 %s (content %s), first build %s (content %s)", g.File, g.SHA256, g.ContentSHA256, w.SHA256, w.ContentSHA256)
		}
	}
	if len(got) == 0 {
		t.Error("no artifacts")
	}
}
