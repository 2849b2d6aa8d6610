package payload

import (
	"errors"

	"github.com/slipway-dev/slipway/internal/progress"
	npayload "github.com/slipway-dev/slipway/node/payload"
)

// Option configures Push and Inspect. Each documents the options it
// reads and ignores the others.
type Option func(*options) error

type options struct {
	insecure bool
	progress progress.Reporter
	keyring  []byte
}

func newOptions(opts []Option) (*options, error) {
	o := &options{progress: progress.Discard()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithInsecure allows plain HTTP to a registry that is not on loopback.
// Without it only loopback registries get plain HTTP.
func WithInsecure() Option {
	return func(o *options) error {
		o.insecure = true
		return nil
	}
}

// WithProgress shows Push's bytes on r (default: nothing shown).
func WithProgress(r progress.Reporter) Option {
	return func(o *options) error {
		if r == nil {
			return errors.New("setting progress: nil reporter")
		}
		o.progress = r
		return nil
	}
}

// WithKeyring makes Inspect verify the signature with these OpenPGP
// public keys (armored or binary). By default it is not verified.
func WithKeyring(keys []byte) Option {
	return func(o *options) error {
		if len(keys) == 0 {
			return errors.New("setting keyring: empty")
		}
		o.keyring = keys
		return nil
	}
}

// nodeOptions are the node/payload options for reading a payload.
func (o *options) nodeOptions() []npayload.Option {
	if o.insecure {
		return []npayload.Option{npayload.WithInsecure()}
	}
	return nil
}
