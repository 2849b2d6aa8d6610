package release

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/slipway-dev/slipway/node/payload"
)

// Problem is one thing wrong with a release directory.
type Problem struct {
	// Path is the file or artifact concerned, relative to the directory.
	Path string `json:"path"`
	// Artifact is the release.json artifact the file belongs to, if any.
	Artifact string `json:"artifact,omitempty"`
	What     string `json:"what"`
}

func (p Problem) String() string {
	if p.Artifact != "" && p.Artifact != p.Path {
		return fmt.Sprintf("%s (artifact %s): %s", p.Path, p.Artifact, p.What)
	}
	return fmt.Sprintf("%s: %s", p.Path, p.What)
}

// Report is what Verify found.
type Report struct {
	Manifest  *Manifest `json:"manifest,omitempty"`
	Files     int       `json:"files"`
	Artifacts int       `json:"artifacts"`
	// Signature: "good (key from --key)", "good (release-key.asc shipped in
	// the release)", or "none".
	Signature string    `json:"signature"`
	Problems  []Problem `json:"problems"`
}

// OK reports whether nothing is wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// ErrInvalid is returned when a release directory fails verification.
var ErrInvalid = errors.New("the release does not verify")

// Verify checks a release directory: release.json is a v1 manifest and
// every artifact it names exists with its digest and size; SHA256SUMS
// lists every file and each matches; its signature verifies with
// keyring (or, without one, with the release-key.asc shipped beside it,
// which proves integrity but not origin). Every problem is reported.
func Verify(dir string, keyring []byte) (*Report, error) {
	rep := &Report{Signature: "none"}
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a release directory: %w", dir, err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		rep.problem(ManifestFile, "", "not a release manifest: "+err.Error())
		return rep, nil
	}
	rep.Manifest = &m
	if m.SchemaVersion != SchemaVersion {
		rep.problem(ManifestFile, "", fmt.Sprintf("schemaVersion %d; this slipway reads %d", m.SchemaVersion, SchemaVersion))
		return rep, nil
	}
	memo := digests{}
	rep.checkSums(dir, &m, memo)
	rep.checkArtifacts(dir, &m, memo)
	rep.checkSignature(dir, &m, keyring)
	return rep, nil
}

func (r *Report) problem(path, artifact, what string) {
	r.Problems = append(r.Problems, Problem{Path: path, Artifact: artifact, What: what})
}

// owner names the artifact a file belongs to.
func owner(m *Manifest, path string) string {
	best := ""
	for _, a := range m.Artifacts {
		if (path == a.Path || strings.HasPrefix(path, a.Path+"/")) && len(a.Path) > len(best) {
			best = a.Path
		}
	}
	return best
}

// checkSums compares SHA256SUMS with the files.
func (r *Report) checkSums(dir string, m *Manifest, memo digests) {
	listed, err := readSums(filepath.Join(dir, SumsFile))
	if err != nil {
		r.problem(SumsFile, "", err.Error())
		return
	}
	actual, _, err := memo.sums(dir, SumsFile, SumsSignature)
	if err != nil {
		r.problem(".", "", err.Error())
		return
	}
	have, _ := parseSums(actual)
	r.Files = len(have)
	var paths []string
	for p := range listed {
		paths = append(paths, p)
	}
	for p := range have {
		if _, ok := listed[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		want, isListed := listed[p]
		got, exists := have[p]
		switch {
		case !isListed:
			r.problem(p, owner(m, p), "not listed in "+SumsFile)
		case !exists:
			r.problem(p, owner(m, p), "listed in "+SumsFile+" but missing")
		case got != want:
			r.problem(p, owner(m, p), fmt.Sprintf("sha256 %s, %s says %s", got, SumsFile, want))
		}
	}
}

// checkArtifacts recomputes every artifact's digest and size.
func (r *Report) checkArtifacts(dir string, m *Manifest, memo digests) {
	r.Artifacts = len(m.Artifacts)
	for _, a := range m.Artifacts {
		got, err := memo.describe(dir, Artifact{Path: a.Path})
		switch {
		case errors.Is(err, fs.ErrNotExist):
			r.problem(a.Path, a.Path, "missing ("+a.Kind+" "+a.Name+")")
		case err != nil:
			r.problem(a.Path, a.Path, err.Error())
		case got.Digest != a.Digest || got.Size != a.Size:
			r.problem(a.Path, a.Path, fmt.Sprintf("%s %s is %s (%d bytes), %s says %s (%d bytes)", a.Kind, a.Name, got.Digest, got.Size, ManifestFile, a.Digest, a.Size))
		}
	}
}

// checkSignature verifies SHA256SUMS.asc.
func (r *Report) checkSignature(dir string, m *Manifest, keyring []byte) {
	sig, err := os.ReadFile(filepath.Join(dir, SumsSignature))
	if errors.Is(err, fs.ErrNotExist) {
		if m.Signed || len(keyring) > 0 {
			r.problem(SumsSignature, "", "missing: the release is meant to be signed")
		}
		return
	}
	data, err := os.ReadFile(filepath.Join(dir, SumsFile))
	if err != nil {
		return // reported by checkSums
	}
	source := "key from --key"
	if len(keyring) == 0 {
		if keyring, err = os.ReadFile(filepath.Join(dir, PublicKeyFile)); err != nil {
			r.problem(PublicKeyFile, "", "no key to verify "+SumsSignature+" with (pass --key)")
			return
		}
		source = PublicKeyFile + " shipped in the release: integrity only; pass --key to check who signed"
	}
	if err := payload.VerifyDetached(keyring, data, sig); err != nil {
		r.problem(SumsSignature, "", err.Error())
		return
	}
	r.Signature = "good (" + source + ")"
}

func readSums(p string) (map[string]string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return parseSums(string(b))
}

func parseSums(s string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		sum, path, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("line %d is not \"SHA256  PATH\"", n)
		}
		out[path] = sum
	}
	return out, sc.Err()
}
