package oci

import (
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Option configures LayerFromFiles, Build, WriteLayout and Push. Each
// function documents the options it reads and ignores the others.
type Option func(*options) error

type options struct {
	epoch      time.Time
	insecure   bool
	tags       []string
	refName    string
	keychain   authn.Keychain
	retries    int
	layerCache string
	progress   chan<- v1.Update
}

// defaultEpoch is used when no WithEpoch option is given: the Unix epoch.
var defaultEpoch = time.Unix(0, 0).UTC()

func newOptions(opts []Option) (*options, error) {
	o := &options{epoch: defaultEpoch, keychain: authn.DefaultKeychain, retries: DefaultRetries}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithEpoch sets the time written into tar entries, the image config's
// "created" field and its history. It defaults to the Unix epoch (0); the
// CLI passes SOURCE_DATE_EPOCH. Sub-second precision is dropped.
func WithEpoch(t time.Time) Option {
	return func(o *options) error {
		if t.Before(defaultEpoch) {
			return fmt.Errorf("setting epoch: %s is before 1970-01-01", t)
		}
		o.epoch = t.Truncate(time.Second).UTC()
		return nil
	}
}

// WithInsecure lets Push speak plain HTTP to any registry. Without it, plain
// HTTP is used only for loopback registries (localhost, 127.0.0.0/8, ::1) and
// every other registry must be reached over TLS.
func WithInsecure() Option {
	return func(o *options) error {
		o.insecure = true
		return nil
	}
}

// WithTags makes Push also tag the pushed index with each tag (in the
// reference's repository). Tags are validated here.
func WithTags(tags ...string) Option {
	return func(o *options) error {
		for _, t := range tags {
			if _, err := name.NewTag("example.invalid/repo:"+t, name.StrictValidation); err != nil {
				return fmt.Errorf("validating tag %q: %w", t, err)
			}
		}
		o.tags = append(o.tags, tags...)
		return nil
	}
}

// WithRefName makes WriteLayout annotate the index in index.json with
// org.opencontainers.image.ref.name, so tools can address it as
// oci:DIR:NAME. By default no ref name is written.
func WithRefName(ref string) Option {
	return func(o *options) error {
		if ref == "" {
			return fmt.Errorf("setting ref name: empty")
		}
		o.refName = ref
		return nil
	}
}

// WithKeychain sets where Push finds registry credentials. It defaults to
// authn.DefaultKeychain (docker/podman config files).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error {
		if k == nil {
			return fmt.Errorf("setting keychain: nil")
		}
		o.keychain = k
		return nil
	}
}
