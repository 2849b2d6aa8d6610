package pki

import (
	"context"
	"crypto/x509"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CertStatus describes one certificate found in the PKI directory: a .crt
// file (each certificate of a bundle) or a kubeconfig's client
// certificate.
type CertStatus struct {
	// Path is the file relative to the PKI dir, slash-separated.
	Path string `json:"path"`
	// Index is the certificate's position in a bundle (ca.crt holds two
	// during a rotation); 0 otherwise.
	Index int `json:"index"`
	// Kubeconfig is true for a kubeconfig's embedded client certificate.
	Kubeconfig bool `json:"kubeconfig"`
	// Subject is the subject common name; Organization its O values.
	Subject      string   `json:"subject"`
	Organization []string `json:"organization,omitempty"`
	// Issuer is the issuer common name.
	Issuer string `json:"issuer"`
	// Serial is the serial number in decimal.
	Serial string `json:"serial"`
	// NotBefore and NotAfter bound the certificate's validity.
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	// Remaining is NotAfter minus the time Check was given; negative
	// once expired.
	Remaining time.Duration `json:"remaining"`
	// CA is true for a CA certificate.
	CA bool `json:"ca"`
}

// Check lists every certificate in dir and every kubeconfig's client
// certificate, in lexical path order, with the time remaining at now.
func Check(ctx context.Context, dir string, now time.Time) ([]CertStatus, error) {
	var out []CertStatus
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		st, err := checkFile(path, filepath.ToSlash(rel), now)
		out = append(out, st...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", dir, err)
	}
	return out, nil
}

func checkFile(path, rel string, now time.Time) ([]CertStatus, error) {
	isConf := strings.HasSuffix(rel, ".conf")
	if !isConf && !strings.HasSuffix(rel, ".crt") {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	if isConf {
		kc, err := parseKubeconfig(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		cert, _, err := kc.client()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		certs = append(certs, cert)
	} else if certs, err = parseCerts(data); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	out := make([]CertStatus, len(certs))
	for i, c := range certs {
		out[i] = CertStatus{
			Path: rel, Index: i, Kubeconfig: isConf,
			Subject: c.Subject.CommonName, Organization: c.Subject.Organization,
			Issuer: c.Issuer.CommonName, Serial: c.SerialNumber.String(),
			NotBefore: c.NotBefore, NotAfter: c.NotAfter, Remaining: c.NotAfter.Sub(now), CA: c.IsCA,
		}
	}
	return out, nil
}

// Expiring returns the statuses with less than threshold remaining; a CLI
// exits non-zero when it is not empty.
func Expiring(statuses []CertStatus, threshold time.Duration) []CertStatus {
	var out []CertStatus
	for _, s := range statuses {
		if s.Remaining < threshold {
			out = append(out, s)
		}
	}
	return out
}
