package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// WriteLayout writes idx as an OCI image layout in dir: index.json has one
// entry, the index itself (annotated with WithRefName's name, if given). The
// layout is assembled in a temporary sibling directory and renamed into
// place, so dir must not exist yet and is never seen half-written.
func WriteLayout(ctx context.Context, dir string, idx v1.ImageIndex, opts ...Option) error {
	o, err := newOptions(opts)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("writing layout %s: %w", dir, os.ErrExist)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing layout: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing layout: %w", err)
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("writing layout: %w", err)
	}
	var lopts []layout.Option
	if o.refName != "" {
		lopts = append(lopts, layout.WithAnnotations(map[string]string{
			"org.opencontainers.image.ref.name": o.refName,
		}))
	}
	if err := p.AppendIndex(idx, lopts...); err != nil {
		return fmt.Errorf("writing layout: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("writing layout: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("renaming layout into place: %w", err)
	}
	return nil
}

// PushResult says what Push wrote.
type PushResult struct {
	// Digest is the digest of the pushed index.
	Digest v1.Hash
	// References are the repository@digest reference followed by every tag
	// that now points at the index, fully qualified.
	References []string
}

// Push uploads idx with all its images and blobs to ref (repo:tag or
// repo@digest), skipping blobs the registry already has, then applies
// WithTags. Credentials come from WithKeychain (default: docker config).
// Plain HTTP is used for loopback registries, and for others only with
// WithInsecure.
func Push(ctx context.Context, ref string, idx v1.ImageIndex, opts ...Option) (PushResult, error) {
	o, err := newOptions(opts)
	if err != nil {
		return PushResult{}, err
	}
	r, digest, err := pushTarget(ref, idx, o)
	if err != nil {
		if o.progress != nil {
			close(o.progress) // go-containerregistry closes it once it has it
		}
		return PushResult{}, err
	}
	if err := remote.WriteIndex(r, idx, o.remoteOptions(ctx, o.progress)...); err != nil {
		return PushResult{}, fmt.Errorf("pushing %s: %w", ref, describeRemoteError(r.Context().RegistryStr(), o, err))
	}
	ropts := o.remoteOptions(ctx, nil)
	res := PushResult{Digest: digest, References: []string{r.Context().Digest(digest.String()).String()}}
	if t, ok := r.(name.Tag); ok {
		res.References = append(res.References, t.String())
	}
	for _, tag := range o.tags {
		t := r.Context().Tag(tag)
		if err := remote.Tag(t, idx, ropts...); err != nil {
			return PushResult{}, fmt.Errorf("tagging %s: %w", t, err)
		}
		res.References = append(res.References, t.String())
	}
	return res, nil
}

// pushTarget parses ref and checks that a digest in it is idx's.
func pushTarget(ref string, idx v1.ImageIndex, o *options) (name.Reference, v1.Hash, error) {
	r, err := o.parseRef(ref)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	digest, err := idx.Digest()
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("computing index digest: %w", err)
	}
	if d, ok := r.(name.Digest); ok && d.DigestStr() != digest.String() {
		return nil, v1.Hash{}, fmt.Errorf("pushing %s: index digest is %s", ref, digest)
	}
	return r, digest, nil
}

// schemeGuard refuses plain-HTTP requests to non-loopback hosts unless
// insecure is set. go-containerregistry also falls back to HTTP for private
// (RFC 1918) addresses; slipway does not.
type schemeGuard struct {
	insecure bool
	next     http.RoundTripper
}

var errPlainHTTP = errors.New("plain HTTP to a non-loopback registry needs WithInsecure")

// RoundTrip forwards req unless it is plain HTTP to a host that is not allowed.
func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure && !isLoopback(req.URL.Hostname()) {
		return nil, fmt.Errorf("requesting %s: %w", req.URL.Redacted(), errPlainHTTP)
	}
	return g.next.RoundTrip(req)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
