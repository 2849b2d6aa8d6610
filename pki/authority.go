package pki

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"
)

// authority is a CA as found in (or about to be written to) the PKI dir.
type authority struct {
	spec      caSpec
	cert      *x509.Certificate   // the signer: matches key; the first certificate when external
	key       crypto.Signer       // nil when external
	bundle    []*x509.Certificate // every certificate of <base>.crt (old and new during a rotation)
	generated bool
}

func (a *authority) external() bool { return a.key == nil }

func (a *authority) pool() *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range a.bundle {
		p.AddCert(c)
	}
	return p
}

func (a *authority) bundlePEM() []byte { return encodeCerts(a.bundle...) }

// loadAuthority reads spec's CA from dir; a CA with neither file is nil.
func loadAuthority(dir string, spec caSpec) (*authority, error) {
	crt, err := readOptional(dir, spec.Base+".crt")
	if err != nil {
		return nil, err
	}
	keyPEM, err := readOptional(dir, spec.Base+".key")
	if err != nil {
		return nil, err
	}
	switch {
	case crt == nil && keyPEM == nil:
		return nil, nil
	case crt == nil:
		return nil, fmt.Errorf("%s.key is present without %s.crt", spec.Base, spec.Base)
	}
	bundle, err := parseCerts(crt)
	if err != nil {
		return nil, fmt.Errorf("parsing %s.crt: %w", spec.Base, err)
	}
	a := &authority{spec: spec, cert: bundle[0], bundle: bundle}
	if keyPEM == nil {
		return a, nil
	}
	if a.key, err = parseKey(keyPEM); err != nil {
		return nil, fmt.Errorf("parsing %s.key: %w", spec.Base, err)
	}
	for _, c := range bundle {
		if keyMatches(a.key, c) {
			a.cert = c
			if !c.IsCA {
				return nil, fmt.Errorf("%s.crt: %q is not a CA certificate", spec.Base, c.Subject.CommonName)
			}
			return a, nil
		}
	}
	return nil, fmt.Errorf("%s.key does not match any certificate of %s.crt", spec.Base, spec.Base)
}

// loadAuthorities reads every CA of the table from dir; absent CAs are
// missing from the map.
func loadAuthorities(dir string) (map[string]*authority, error) {
	cas := map[string]*authority{}
	var errs []error
	for _, spec := range caTable {
		a, err := loadAuthority(dir, spec)
		if err != nil {
			errs = append(errs, err)
		} else if a != nil {
			cas[spec.Name] = a
		}
	}
	return cas, joinErrs(errs)
}

// generateAuthority makes a new self-signed CA for spec.
func generateAuthority(ctx context.Context, spec caSpec, alg string, now time.Time, validity time.Duration) (*authority, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key, err := newKey(alg)
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", spec.Name, err)
	}
	cert, err := newCA(spec.CN, key, now, validity)
	if err != nil {
		return nil, err
	}
	return &authority{spec: spec, cert: cert, key: key, bundle: []*x509.Certificate{cert}, generated: true}, nil
}

// stageAuthority stages a's certificate bundle and key.
func stageAuthority(st *stage, a *authority) error {
	keyPEM, err := encodeKey(a.key)
	if err != nil {
		return err
	}
	st.put(a.spec.Base+".crt", a.bundlePEM(), modeCert)
	st.put(a.spec.Base+".key", keyPEM, modeKey)
	return nil
}
