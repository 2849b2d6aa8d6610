package payload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Retries is how many times a registry request is tried: connection
// failures and 5xx answers are retried after 500 ms, then 1 s.
const Retries = 3

// Option configures Open.
type Option func(*options) error

type options struct {
	insecure  bool
	transport http.RoundTripper
}

func newOptions(opts []Option) (*options, error) {
	o := &options{transport: remote.DefaultTransport}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithInsecure allows plain HTTP to a registry that is not on loopback,
// such as a test registry a QEMU guest reaches at 10.0.2.100. Without it
// only loopback registries (localhost, 127.0.0.0/8, ::1) get plain HTTP.
func WithInsecure() Option {
	return func(o *options) error {
		o.insecure = true
		return nil
	}
}

// WithTransport sets the HTTP transport to registries (default
// go-containerregistry's remote.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		if rt == nil {
			return errors.New("setting transport: nil")
		}
		o.transport = rt
		return nil
	}
}

// openRemote reads the manifest of a registry reference.
func openRemote(ctx context.Context, ref string, o *options) (v1.Image, error) {
	var nopts []name.Option
	if o.insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	img, err := remote.Image(r, o.remoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("reading from %s: %w", r.Context().RegistryStr(), err)
	}
	return img, nil
}

// RemoteOptions are the go-containerregistry options Open reads
// registries with, for a caller that writes to them the same way: the
// Docker config's credentials, plain HTTP only for loopback unless
// WithInsecure, Retries tries of refused connections and 5xx answers.
func RemoteOptions(ctx context.Context, opts ...Option) ([]remote.Option, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return o.remoteOptions(ctx), nil
}

func (o *options) remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(&schemeGuard{insecure: o.insecure, next: o.transport}),
		remote.WithRetryBackoff(remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Steps: Retries}),
		remote.WithRetryPredicate(retryable),
	}
}

// retryable: refused, reset and unreachable connections too, which a
// registry that is (re)starting answers.
func retryable(err error) bool {
	if errors.Is(err, errPlainHTTP) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

var errPlainHTTP = errors.New("plain HTTP to a registry that is not on loopback needs --insecure")

// schemeGuard refuses plain HTTP to hosts that are not loopback unless
// insecure (go-containerregistry would otherwise fall back to HTTP for
// private addresses by itself).
type schemeGuard struct {
	insecure bool
	next     http.RoundTripper
}

// RoundTrip forwards req unless it is plain HTTP that is not allowed.
func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure && !isLoopback(req.URL.Hostname()) {
		return nil, fmt.Errorf("requesting %s: %w", req.URL.Redacted(), errPlainHTTP)
	}
	return g.next.RoundTrip(req)
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
