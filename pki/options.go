package pki

import (
	"errors"
	"runtime"
	"time"
)

// Option adjusts Init, Renew and Rotate.
type Option func(*options) error

type options struct {
	now     func() time.Time
	workers int
}

// WithClock makes certificates valid from clock() instead of time.Now();
// tests use it to issue certificates in the past or future.
func WithClock(clock func() time.Time) Option {
	return func(o *options) error {
		if clock == nil {
			return errors.New("clock: nil")
		}
		o.now = clock
		return nil
	}
}

// WithWorkers sets how many keys are generated in parallel; it defaults to
// runtime.NumCPU().
func WithWorkers(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return errors.New("workers: must be at least 1")
		}
		o.workers = n
		return nil
	}
}

func newOptions(opts []Option) (*options, error) {
	o := &options{now: time.Now, workers: runtime.NumCPU()}
	var errs []error
	for _, opt := range opts {
		if err := opt(o); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return o, nil
}
