package packages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slipway-dev/slipway/sources"
	"github.com/slipway-dev/slipway/spec"
)

// job is one package file to build: a package for one arch and format,
// with every file resolved to content on this machine.
type job struct {
	pkg      spec.Package
	arch     string
	format   string
	contents []content
	// libc is set when a binary of a deb loads glibc: the deb depends on
	// libc6.
	libc bool
}

// content is one entry of a package.
type content struct {
	Dst    string      `json:"dst"`
	Type   string      `json:"type"`
	Mode   fs.FileMode `json:"mode"`
	Digest string      `json:"digest,omitempty"`
	Target string      `json:"target,omitempty"` // of a symlink
	src    string      // file on this machine
	data   []byte      // inline content
	static bool        // src is a statically linked ELF binary
}

func (j *job) name() string { return fmt.Sprintf("%s %s/%s", j.pkg.Name, j.arch, j.format) }

// inputs holds the fetched binaries of every component per architecture.
type inputs struct {
	mu       sync.Mutex
	binaries map[string][]sources.Binary // key: component + "/" + arch
	digests  *digester
}

func (in *inputs) get(component, arch string) []sources.Binary {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.binaries[component+"/"+arch]
}

// fetchInputs fetches every component the packages need, for every arch.
func fetchInputs(ctx context.Context, r *spec.Release, o *options) (*inputs, error) {
	in := &inputs{binaries: map[string][]sources.Binary{}, digests: newDigester(o.cacheDir)}
	needed := map[string]bool{}
	for _, p := range r.Packages() {
		for _, f := range p.Files {
			if f.From != "" {
				c, _, _ := strings.Cut(f.From, "/")
				needed[c] = true
			}
		}
	}
	names := make([]string, 0, len(needed))
	for c := range needed {
		names = append(names, c)
	}
	sort.Strings(names)
	stage := o.progress.Stage("fetching components", len(names)*len(r.Spec.Architectures))
	for _, c := range names {
		for _, arch := range r.Spec.Architectures {
			bins, err := fetchComponent(ctx, r, o, c, arch)
			if err != nil {
				stage.Abort()
				return nil, err
			}
			in.binaries[c+"/"+arch] = bins
			stage.Step(c + " " + arch)
		}
	}
	return in, nil
}

func fetchComponent(ctx context.Context, r *spec.Release, o *options, name, arch string) ([]sources.Binary, error) {
	comp := r.Component(name)
	if comp == nil && name == spec.ComponentSlipwayNode {
		if o.nodeAgent == nil {
			return nil, fmt.Errorf("%w for %s: declare the slipway-node component or build it (make build)", ErrNoNodeAgent, arch)
		}
		p, err := o.nodeAgent(arch)
		if err != nil {
			return nil, err
		}
		init := filepath.Join(filepath.Dir(p), strings.Replace(filepath.Base(p), "slipway-node", "slipway-init", 1))
		if _, err := os.Stat(init); err != nil || init == p {
			return nil, fmt.Errorf("%w for %s: slipway-init is not beside %s (make build puts both there)", ErrNoNodeAgent, arch, p)
		}
		return []sources.Binary{{Name: "slipway-init", Path: init}, {Name: "slipway-node", Path: p}}, nil
	}
	if comp == nil {
		return nil, fmt.Errorf("component %q is not declared", name)
	}
	bins, err := o.fetcher.Fetch(ctx, filepath.Dir(r.File()), arch, comp.Sources[arch])
	if err != nil {
		return nil, fmt.Errorf("fetching %s for %s: %w", name, arch, err)
	}
	return bins, nil
}

// plan expands the release into jobs: every package for every arch and
// format, sorted by package, arch, format.
func plan(r *spec.Release, in *inputs, epoch time.Time) ([]*job, error) {
	var jobs []*job
	for _, p := range r.Packages() {
		for _, arch := range r.Spec.Architectures {
			for _, format := range p.Formats {
				j := &job{pkg: p, arch: arch, format: format}
				if err := j.resolve(r, in); err != nil {
					return nil, fmt.Errorf("package %s for %s (%s): %w", p.Name, arch, format, err)
				}
				j.addNodeFiles()
				if format == spec.FormatDeb {
					if err := j.debianDocs(epoch); err != nil {
						return nil, err
					}
				}
				jobs = append(jobs, j)
			}
		}
	}
	return jobs, nil
}

// resolve turns the package's file list into contents for the job's arch.
func (j *job) resolve(r *spec.Release, in *inputs) error {
	for _, f := range j.pkg.Files {
		if !f.ForFormat(j.format) {
			continue
		}
		cs, err := j.resolveFile(r, in, f)
		if err != nil {
			return err
		}
		j.contents = append(j.contents, cs...)
	}
	sort.Slice(j.contents, func(a, b int) bool { return j.contents[a].Dst < j.contents[b].Dst })
	for i := range j.contents {
		c := &j.contents[i]
		switch {
		case c.src != "":
			d, err := in.digests.file(c.src)
			if err != nil {
				return err
			}
			c.Digest = d
		case c.Type != spec.FileDir:
			sum := sha256.Sum256(c.data)
			c.Digest = hex.EncodeToString(sum[:])
		}
	}
	return nil
}

func (j *job) resolveFile(r *spec.Release, in *inputs, f spec.File) ([]content, error) {
	mode, err := fileMode(f)
	if err != nil {
		return nil, err
	}
	base := content{Dst: f.Dst, Type: f.Type, Mode: mode}
	switch {
	case f.Type == spec.FileDir:
		return []content{base}, nil
	case f.Content != nil:
		base.data = []byte(*f.Content)
		return []content{base}, nil
	case f.Src != "":
		base.src = sources.LocalPath(filepath.Dir(r.File()), f.Src)
		return []content{base}, j.inspect(&base)
	}
	return j.fromComponent(in, f, base)
}

// fromComponent resolves "comp", "comp/name" and "comp/*".
func (j *job) fromComponent(in *inputs, f spec.File, base content) ([]content, error) {
	comp, name, hasName := strings.Cut(f.From, "/")
	bins := in.get(comp, j.arch)
	var out []content
	for _, b := range bins {
		c := base
		c.src = b.Path
		switch {
		case name == "*":
			c.Dst = path.Join(f.Dst, b.Name)
		case hasName && b.Name != name:
			continue
		}
		if err := j.inspect(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	switch {
	case len(out) == 0 && hasName && name != "*":
		return nil, fmt.Errorf("component %s has no binary named %q (it has %s)", comp, name, binaryNames(bins))
	case len(out) == 0:
		return nil, fmt.Errorf("component %s has no binaries", comp)
	case len(out) > 1 && !hasName:
		return nil, fmt.Errorf("component %s has %d binaries (%s): name one as %s/NAME or take all as %s/*",
			comp, len(out), binaryNames(bins), comp, comp)
	}
	return out, nil
}

func binaryNames(bins []sources.Binary) string {
	names := make([]string, len(bins))
	for i, b := range bins {
		names[i] = b.Name
	}
	return strings.Join(names, ", ")
}

// inspect checks a file from this machine against the job's architecture
// and records what packaging needs to know of it.
func (j *job) inspect(c *content) error {
	info, err := inspectELF(c.src, j.arch)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Dst, err)
	}
	c.static = info.static
	if j.format == spec.FormatDeb && info.libc {
		j.libc = true
	}
	return nil
}

// fileMode returns the file's mode: the spec's, or 0755 for binaries and
// directories and 0644 for the rest.
func fileMode(f spec.File) (fs.FileMode, error) {
	if f.Mode != "" {
		m, err := strconv.ParseUint(f.Mode, 8, 32)
		if err != nil {
			return 0, fmt.Errorf("mode %q: %w", f.Mode, err)
		}
		return fs.FileMode(m), nil
	}
	if f.Type == spec.FileDir || f.From != "" {
		return 0o755, nil
	}
	return 0o644, nil
}
