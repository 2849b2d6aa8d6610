package oci

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ErrNoImage is wrapped when a reference names nothing that can be read:
// no such layout, archive, repository or tag, or no image for a platform.
var ErrNoImage = errors.New("no such image")

// Artifact is an image or an image index read by Open. Exactly one of
// Index and Image is set.
type Artifact struct {
	// Ref is the reference it was opened from.
	Ref   string
	Index v1.ImageIndex
	Image v1.Image

	cleanup func()
}

// Close releases what Open made to read the artifact (an OCI archive is
// unpacked into a temporary directory). The artifact is unusable after.
func (a *Artifact) Close() error {
	if a.cleanup != nil {
		a.cleanup()
		a.cleanup = nil
	}
	return nil
}

// Open reads the image or index ref names, without pulling layers (they
// are read when used). ref is, after an optional oci:// prefix:
//   - a path (starting with "/", "./" or "../"): an OCI image layout
//     directory (the only manifest of its index.json, or the one whose
//     org.opencontainers.image.ref.name is the text after the last ":"
//     of the path), an OCI layout archive (oci-archive, as skopeo writes
//     it) or a docker save tarball;
//   - otherwise a registry reference, HOST/REPO[:TAG|@DIGEST], read with
//     the options' keychain; plain HTTP only as Push allows it.
//
// Relative paths resolve against dir.
func Open(ctx context.Context, dir, ref string, opts ...Option) (*Artifact, error) {
	ref = strings.TrimPrefix(ref, "oci://")
	if IsLocalRef(ref) {
		p := ref
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		a, err := openLocal(p)
		if err != nil {
			return nil, fmt.Errorf("opening image %s: %w", ref, err)
		}
		a.Ref = ref
		return a, nil
	}
	a, err := openRemote(ctx, ref, opts)
	if err != nil {
		return nil, fmt.Errorf("opening image %s: %w", ref, err)
	}
	return a, nil
}

// IsLocalRef reports whether ref (without oci://) names a local path.
func IsLocalRef(ref string) bool {
	return strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../")
}

func openLocal(p string) (*Artifact, error) {
	tag := ""
	st, err := os.Stat(p)
	if err != nil {
		if i := strings.LastIndex(p, ":"); i > 0 {
			tag, p = p[i+1:], p[:i]
			st, err = os.Stat(p)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoImage, err)
		}
	}
	if st.IsDir() {
		return openLayout(p, tag)
	}
	return openArchive(p, tag)
}

// openLayout picks the manifest named tag (or the only one) of a layout.
func openLayout(dir, tag string) (*Artifact, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not an OCI image layout: %v", ErrNoImage, dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var pick []v1.Descriptor
	for _, d := range im.Manifests {
		if tag == "" || d.Annotations["org.opencontainers.image.ref.name"] == tag {
			pick = append(pick, d)
		}
	}
	if len(pick) != 1 {
		return nil, fmt.Errorf("%w: layout %s has %d manifests named %q (want exactly one)", ErrNoImage, dir, len(pick), tag)
	}
	if pick[0].MediaType.IsIndex() {
		child, err := idx.ImageIndex(pick[0].Digest)
		return &Artifact{Index: child}, err
	}
	img, err := idx.Image(pick[0].Digest)
	return &Artifact{Image: img}, err
}

func openRemote(ctx context.Context, ref string, opts []Option) (*Artifact, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	r, err := o.parseRef(ref)
	if err != nil {
		return nil, err
	}
	ropts := o.remoteOptions(ctx, nil)
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, describeRemoteError(r.Context().RegistryStr(), o, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		return &Artifact{Ref: ref, Index: idx}, err
	}
	img, err := desc.Image()
	return &Artifact{Ref: ref, Image: img}, err
}

// Platform returns the artifact's image for platform p: the image itself
// when it is one (its config must name p's OS and architecture), or the
// index's manifest for p.
func (a *Artifact) Platform(p v1.Platform) (v1.Image, error) {
	if p.OS == "" {
		p.OS = "linux"
	}
	if a.Image != nil {
		cf, err := a.Image.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of %s: %w", a.Ref, err)
		}
		if cf.OS != p.OS || cf.Architecture != p.Architecture {
			return nil, fmt.Errorf("%w: %s is %s/%s, not %s", ErrNoImage, a.Ref, cf.OS, cf.Architecture, p)
		}
		return a.Image, nil
	}
	im, err := a.Index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index of %s: %w", a.Ref, err)
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == p.OS && d.Platform.Architecture == p.Architecture &&
			(p.Variant == "" || d.Platform.Variant == p.Variant) {
			return a.Index.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("%w: %s has no image for %s", ErrNoImage, a.Ref, p)
}

// openDockerArchive reads a `docker save` tarball's only image.
func openDockerArchive(p string) (*Artifact, error) {
	img, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is neither an OCI archive nor a docker save tarball: %v", ErrNoImage, p, err)
	}
	return &Artifact{Image: img}, nil
}
