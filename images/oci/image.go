package oci

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Standard OCI annotation keys slipway sets on the images it builds.
const (
	AnnotationSource   = "org.opencontainers.image.source"
	AnnotationRevision = "org.opencontainers.image.revision"
	AnnotationVersion  = "org.opencontainers.image.version"
)

// ImageSpec describes one single-platform image.
//
// Base is the image to start from; nil means scratch (no layers). Layers are
// appended in order. Platform.Architecture is required; Platform.OS defaults
// to "linux". Entrypoint, Cmd, User and WorkingDir replace the base's values
// when set. Env entries (KEY=VALUE) override base entries with the same key
// and are otherwise appended. Labels are merged over the base's labels.
// Annotations go on the image manifest (see AnnotationSource and friends).
type ImageSpec struct {
	Base        v1.Image
	Layers      []v1.Layer
	Platform    v1.Platform
	Entrypoint  []string
	Cmd         []string
	Env         []string
	User        string
	WorkingDir  string
	Labels      map[string]string
	Annotations map[string]string
}

// Build returns the image spec describes, with an OCI manifest and config.
// The config's created time and the history of added layers are the epoch
// (WithEpoch). Build reads layers to compute digests; it checks ctx before
// doing so.
func Build(ctx context.Context, spec ImageSpec, opts ...Option) (v1.Image, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	img := spec.Base
	if img == nil {
		img = empty.Image
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := v1.Time{Time: o.epoch}
	adds := make([]mutate.Addendum, 0, len(spec.Layers))
	for _, l := range spec.Layers {
		adds = append(adds, mutate.Addendum{
			Layer:   l,
			History: v1.History{Created: created, CreatedBy: "slipway"},
		})
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cf = cf.DeepCopy()
	applySpec(cf, spec)
	cf.Created = created
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	if len(spec.Annotations) > 0 {
		img = mutate.Annotations(img, spec.Annotations).(v1.Image)
	}
	if _, err := img.Digest(); err != nil {
		return nil, fmt.Errorf("computing image digest: %w", err)
	}
	return img, nil
}

func validateSpec(spec ImageSpec) error {
	var errs []error
	if spec.Platform.Architecture == "" {
		errs = append(errs, errors.New("platform.architecture: required"))
	}
	for i, l := range spec.Layers {
		if l == nil {
			errs = append(errs, fmt.Errorf("layers[%d]: nil", i))
		}
	}
	for i, e := range spec.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			errs = append(errs, fmt.Errorf("env[%d] %q: want KEY=VALUE", i, e))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validating image spec: %w", err)
	}
	return nil
}

// applySpec writes spec's platform and runtime settings into cf.
func applySpec(cf *v1.ConfigFile, spec ImageSpec) {
	cf.OS = spec.Platform.OS
	if cf.OS == "" {
		cf.OS = "linux"
	}
	cf.Architecture = spec.Platform.Architecture
	cf.Variant = spec.Platform.Variant
	cf.OSVersion = spec.Platform.OSVersion
	c := &cf.Config
	if spec.Entrypoint != nil {
		c.Entrypoint = slices.Clone(spec.Entrypoint)
	}
	if spec.Cmd != nil {
		c.Cmd = slices.Clone(spec.Cmd)
	}
	if spec.User != "" {
		c.User = spec.User
	}
	if spec.WorkingDir != "" {
		c.WorkingDir = spec.WorkingDir
	}
	c.Env = mergeEnv(c.Env, spec.Env)
	if len(spec.Labels) > 0 {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		maps.Copy(c.Labels, spec.Labels)
	}
}

// mergeEnv overrides base entries by key and appends new keys in order.
func mergeEnv(base, add []string) []string {
	out := slices.Clone(base)
	for _, e := range add {
		k, _, _ := strings.Cut(e, "=")
		i := slices.IndexFunc(out, func(b string) bool { return strings.HasPrefix(b, k+"=") })
		if i >= 0 {
			out[i] = e
		} else {
			out = append(out, e)
		}
	}
	return out
}

// Index returns an OCI image index of images, each described with the
// platform from its config. Manifests are sorted by platform string so the
// order of images does not change the digest; two images with the same
// platform are an error.
func Index(images []v1.Image) (v1.ImageIndex, error) {
	type entry struct {
		key string
		add mutate.IndexAddendum
	}
	entries := make([]entry, 0, len(images))
	for i, img := range images {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of images[%d]: %w", i, err)
		}
		mt, err := img.MediaType()
		if err != nil {
			return nil, fmt.Errorf("reading media type of images[%d]: %w", i, err)
		}
		p := cf.Platform()
		if p == nil {
			return nil, fmt.Errorf("reading platform of images[%d]: config has none", i)
		}
		desc, err := plainDescriptor(img, mt, p)
		if err != nil {
			return nil, fmt.Errorf("describing images[%d]: %w", i, err)
		}
		entries = append(entries, entry{p.String(), mutate.IndexAddendum{
			Add: describedImage{Image: img, desc: desc},
		}})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	adds := make([]mutate.IndexAddendum, 0, len(entries))
	for i, e := range entries {
		if i > 0 && entries[i-1].key == e.key {
			return nil, fmt.Errorf("indexing images: platform %s appears twice", e.key)
		}
		adds = append(adds, e.add)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.AppendManifests(idx, adds...)
	if _, err := idx.Digest(); err != nil {
		return nil, fmt.Errorf("computing index digest: %w", err)
	}
	return idx, nil
}

// describedImage makes mutate use desc as-is for its index entry. Without it
// go-containerregistry copies the config media type into artifactType, which
// the OCI spec reserves for artifacts and which tools such as skopeo drop
// when they copy, changing the index digest.
type describedImage struct {
	v1.Image
	desc *v1.Descriptor
}

// Descriptor returns the image's index entry.
func (d describedImage) Descriptor() (*v1.Descriptor, error) { return d.desc, nil }

func plainDescriptor(img v1.Image, mt types.MediaType, p *v1.Platform) (*v1.Descriptor, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	size, err := img.Size()
	if err != nil {
		return nil, err
	}
	return &v1.Descriptor{MediaType: mt, Size: size, Digest: digest, Platform: p}, nil
}
