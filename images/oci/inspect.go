package oci

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Description is what Describe reports of an image or index.
type Description struct {
	Ref       string         `json:"ref"`
	MediaType string         `json:"mediaType"`
	Digest    string         `json:"digest"`
	Images    []ImageSummary `json:"images"`
}

// ImageSummary describes one image of an index (or the image itself).
type ImageSummary struct {
	Platform    string            `json:"platform"`
	Digest      string            `json:"digest"`
	Entrypoint  []string          `json:"entrypoint,omitempty"`
	Cmd         []string          `json:"cmd,omitempty"`
	Env         []string          `json:"env,omitempty"`
	User        string            `json:"user,omitempty"`
	Created     string            `json:"created"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Layers      []LayerSummary    `json:"layers"`
	// Size is the sum of the compressed layers.
	Size int64 `json:"size"`
}

// LayerSummary is one layer of an image.
type LayerSummary struct {
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
}

// Describe summarizes an artifact: its digest and, for each image, its
// platform, runtime config, annotations and layers. It reads manifests and
// configs only, never layer contents.
func Describe(a *Artifact) (*Description, error) {
	d := &Description{Ref: a.Ref}
	var imgs []v1.Image
	if a.Index != nil {
		mt, err := a.Index.MediaType()
		if err != nil {
			return nil, err
		}
		dg, err := a.Index.Digest()
		if err != nil {
			return nil, err
		}
		d.MediaType, d.Digest = string(mt), dg.String()
		im, err := a.Index.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, m := range im.Manifests {
			if !m.MediaType.IsImage() {
				continue
			}
			img, err := a.Index.Image(m.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", m.Digest, err)
			}
			imgs = append(imgs, img)
		}
	} else {
		mt, err := a.Image.MediaType()
		if err != nil {
			return nil, err
		}
		dg, err := a.Image.Digest()
		if err != nil {
			return nil, err
		}
		d.MediaType, d.Digest = string(mt), dg.String()
		imgs = append(imgs, a.Image)
	}
	for _, img := range imgs {
		s, err := summarize(img)
		if err != nil {
			return nil, err
		}
		d.Images = append(d.Images, s)
	}
	return d, nil
}

func summarize(img v1.Image) (ImageSummary, error) {
	var s ImageSummary
	dg, err := img.Digest()
	if err != nil {
		return s, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return s, fmt.Errorf("reading config of %s: %w", dg, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return s, fmt.Errorf("reading manifest %s: %w", dg, err)
	}
	s = ImageSummary{
		Digest: dg.String(), Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd, Env: cf.Config.Env,
		User: cf.Config.User, Created: cf.Created.UTC().Format("2006-01-02T15:04:05Z"),
		Labels: cf.Config.Labels, Annotations: m.Annotations,
	}
	if p := cf.Platform(); p != nil {
		s.Platform = p.String()
	}
	for _, l := range m.Layers {
		s.Layers = append(s.Layers, LayerSummary{Digest: l.Digest.String(), MediaType: string(l.MediaType), Size: l.Size})
		s.Size += l.Size
	}
	return s, nil
}
