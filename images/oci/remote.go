package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultRetries is how many times a request to a registry is tried
// (WithRetries) before Push or Open give up on it.
const DefaultRetries = 3

// WithRetries bounds the tries of each registry request (DefaultRetries):
// connection failures and 5xx answers are retried with a backoff that
// starts at 500 ms and doubles.
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("setting retries: %d is below 1", n)
		}
		o.retries = n
		return nil
	}
}

// WithProgress makes Push report bytes written on ch (go-containerregistry
// closes it when the push ends).
func WithProgress(ch chan<- v1.Update) Option {
	return func(o *options) error {
		o.progress = ch
		return nil
	}
}

func (o *options) backoff() remote.Backoff {
	return remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0, Steps: o.retries}
}

// parseRef parses a registry reference; WithInsecure allows plain HTTP.
func (o *options) parseRef(ref string) (name.Reference, error) {
	var nopts []name.Option
	if o.insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	return r, nil
}

// remoteOptions are the go-containerregistry options every registry call
// of this package uses.
func (o *options) remoteOptions(ctx context.Context, progress chan<- v1.Update) []remote.Option {
	ro := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(&schemeGuard{insecure: o.insecure, next: remote.DefaultTransport}),
		remote.WithRetryBackoff(o.backoff()),
		remote.WithRetryPredicate(retryable),
	}
	if progress != nil {
		ro = append(ro, remote.WithProgress(progress))
	}
	return ro
}

// retryable: go-containerregistry's own predicate plus refused and
// unreachable connections, which a registry that is (re)starting answers.
func retryable(err error) bool {
	if errors.Is(err, errPlainHTTP) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// describeRemoteError says when a registry could not be reached at all.
func describeRemoteError(registry string, o *options, err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return fmt.Errorf("registry %s unreachable after %d tries: %w", registry, o.retries, err)
	}
	return err
}
