package pki

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// parallel runs jobs on at most workers goroutines and returns the first
// error; the rest stop at their next context check.
func parallel(ctx context.Context, workers int, jobs []func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, job := range jobs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return job(gctx)
		})
	}
	return g.Wait()
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// issuer signs leaves for one run.
type issuer struct {
	r   *resolved
	cas map[string]*authority
	now time.Time
	st  *stage
}

// issue generates a key for t, signs its certificate and stages the pair
// or the kubeconfig.
func (is *issuer) issue(ctx context.Context, t target) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ca := is.cas[t.spec.CA]
	if ca == nil || ca.external() {
		return fmt.Errorf("issuing %s: %s has no key", t.base(), t.spec.CA)
	}
	key, err := newKey(is.r.KeyAlgorithm)
	if err != nil {
		return fmt.Errorf("generating key for %s: %w", t.base(), err)
	}
	cert, err := signLeaf(is.r.template(t), key, ca, is.now, is.r.CertValidity)
	if err != nil {
		return fmt.Errorf("issuing %s: %w", t.base(), err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return fmt.Errorf("encoding key for %s: %w", t.base(), err)
	}
	if !t.isKubeconfig() {
		is.st.put(t.base()+".crt", encodeCerts(cert), modeCert)
		is.st.put(t.base()+".key", keyPEM, modeKey)
		return nil
	}
	kc := newKubeconfig(is.r.ClusterName, is.r.server(t), t.commonName(),
		is.cas[CAKubernetes].bundlePEM(), encodeCerts(cert), keyPEM)
	data, err := kc.marshal()
	if err != nil {
		return fmt.Errorf("writing %s: %w", t.base(), err)
	}
	is.st.put(t.base(), data, modeKey)
	return nil
}

// issueAll issues every target in parallel.
func (is *issuer) issueAll(ctx context.Context, workers int, ts []target) error {
	jobs := make([]func(context.Context) error, len(ts))
	for i, t := range ts {
		jobs[i] = func(ctx context.Context) error { return is.issue(ctx, t) }
	}
	return parallel(ctx, workers, jobs)
}

// verifyLeaf checks that cert and key of t belong together, chain to t's
// CA for each of t's usages at now, and carry t's SANs.
func (is *issuer) verifyLeaf(t target, cert *x509.Certificate, keyOK bool) error {
	if !keyOK {
		return errors.New("key does not match certificate")
	}
	pool := is.cas[t.spec.CA].pool()
	for _, u := range t.spec.Usages {
		_, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: is.now, KeyUsages: []x509.ExtKeyUsage{u}})
		if err != nil {
			return fmt.Errorf("not valid for %s: %w", t.spec.CA, err)
		}
	}
	tmpl := is.r.template(t)
	for _, d := range tmpl.dns {
		if !slices.Contains(cert.DNSNames, d) {
			return fmt.Errorf("lacks DNS SAN %q", d)
		}
	}
	for _, ip := range tmpl.ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return fmt.Errorf("lacks IP SAN %s", ip)
		}
	}
	return nil
}
