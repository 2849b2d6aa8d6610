package payload

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	npayload "github.com/slipway-dev/slipway/node/payload"
)

// PushResult says what Push wrote.
type PushResult struct {
	// Digest is the artifact manifest's digest.
	Digest string `json:"digest"`
	// Reference is REPO@DIGEST, fully qualified.
	Reference string `json:"reference"`
	// Tag is the reference pushed to when it named a tag.
	Tag string `json:"tag,omitempty"`
}

// Push copies the payload at from (an OCI layout, DIR or DIR:TAG, or a
// registry reference) to ref (HOST/REPO:TAG or HOST/REPO@DIGEST), with
// its manifest bytes, hence its digest, unchanged. A layout's blobs are
// checked against its metadata first, so only a sound payload is
// published. Blobs the registry has are not uploaded again. Plain HTTP
// only for loopback registries unless WithInsecure. Options:
// WithInsecure, WithProgress.
func Push(ctx context.Context, from, ref string, opts ...Option) (*PushResult, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	p, err := npayload.Open(ctx, from, o.nodeOptions()...)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if p.Local {
		if err := p.VerifyBlobs(ctx); err != nil {
			return nil, fmt.Errorf("checking payload %s: %w", from, err)
		}
	}
	r, err := pushTarget(ref, p.Digest, o)
	if err != nil {
		return nil, err
	}
	if err := write(ctx, r, p.Image(), o); err != nil {
		return nil, fmt.Errorf("pushing %s: %w", ref, err)
	}
	res := &PushResult{Digest: p.Digest, Reference: r.Context().Digest(p.Digest).String()}
	if t, ok := r.(name.Tag); ok {
		res.Tag = t.String()
	}
	return res, nil
}

// pushTarget parses ref and checks that a digest in it is the payload's.
func pushTarget(ref, digest string, o *options) (name.Reference, error) {
	var nopts []name.Option
	if o.insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	if d, ok := r.(name.Digest); ok && d.DigestStr() != digest {
		return nil, fmt.Errorf("pushing to %s: the payload's digest is %s", ref, digest)
	}
	return r, nil
}

// write pushes img with progress, retries and the plain-HTTP guard.
func write(ctx context.Context, r name.Reference, img v1.Image, o *options) error {
	ropts, err := npayload.RemoteOptions(ctx, o.nodeOptions()...)
	if err != nil {
		return err
	}
	t := o.progress.Transfer("pushing " + r.String())
	defer t.Done()
	updates := make(chan v1.Update, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range updates {
			t.Set(u.Complete, u.Total)
		}
	}()
	err = remote.Write(r, img, append(ropts, remote.WithProgress(updates))...)
	<-done
	return err
}
