package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"slices"
	"time"
)

// newKey generates a private key of algorithm alg.
func newKey(alg string) (crypto.Signer, error) {
	switch alg {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("unknown key algorithm %q", alg)
}

// encodeKey PEM-encodes key the way kubeadm (client-go keyutil) does:
// PKCS #1 for RSA, SEC 1 for ECDSA.
func encodeKey(key crypto.Signer) ([]byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("marshaling ECDSA key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
	}
	return nil, fmt.Errorf("unsupported key type %T", key)
}

// encodePublic PEM-encodes a public key as PKIX, like kubeadm's sa.pub.
func encodePublic(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshaling public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// encodeCerts PEM-encodes certs in order.
func encodeCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// parseKey decodes the first PEM private key in data (PKCS #1, SEC 1 or
// PKCS #8). Errors never quote the key.
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch b.Type {
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(b.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported PKCS #8 key type %T", k)
			}
			return s, nil
		}
	}
}

// parseCerts decodes every PEM certificate in data.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return out, nil
}

// keyMatches reports whether key is the private half of cert's public key.
func keyMatches(key crypto.Signer, cert *x509.Certificate) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// serial returns a uniformly random serial in [1, MaxInt64), as kubeadm.
func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(math.MaxInt64-1))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// keyUsage is kubeadm's key usage for a key: DigitalSignature, plus
// KeyEncipherment for RSA keys, plus CertSign for CAs.
func keyUsage(key crypto.Signer, isCA bool) x509.KeyUsage {
	u := x509.KeyUsageDigitalSignature
	if _, ok := key.(*rsa.PrivateKey); ok {
		u |= x509.KeyUsageKeyEncipherment
	}
	if isCA {
		u |= x509.KeyUsageCertSign
	}
	return u
}

// newCA makes a self-signed CA certificate valid from now for validity, as
// client-go's NewSelfSignedCACert.
func newCA(cn string, key crypto.Signer, now time.Time, validity time.Duration) (*x509.Certificate, error) {
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              []string{cn},
		NotBefore:             now.UTC(),
		NotAfter:              now.Add(validity).UTC(),
		KeyUsage:              keyUsage(key, true),
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("signing CA %s: %w", cn, err)
	}
	return x509.ParseCertificate(der)
}

// leafTemplate is the unsigned certificate for t.
type leafTemplate struct {
	cn     string
	org    []string
	usages []x509.ExtKeyUsage
	dns    []string
	ips    []net.IP
}

// signLeaf issues a leaf for key from tmpl, signed by ca, as kubeadm's
// pkiutil.NewSignedCert: NotBefore is the CA's NotBefore.
func signLeaf(tmpl leafTemplate, key crypto.Signer, ca *authority, now time.Time, validity time.Duration) (*x509.Certificate, error) {
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	c := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: tmpl.cn, Organization: tmpl.org},
		DNSNames:              tmpl.dns,
		IPAddresses:           tmpl.ips,
		NotBefore:             ca.cert.NotBefore,
		NotAfter:              now.Add(validity).UTC(),
		KeyUsage:              keyUsage(key, false),
		ExtKeyUsage:           tmpl.usages,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, c, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", tmpl.cn, err)
	}
	return x509.ParseCertificate(der)
}

// template computes t's subject, usages and SANs.
func (r *resolved) template(t target) leafTemplate {
	tmpl := leafTemplate{cn: t.commonName(), org: t.spec.Org, usages: t.spec.Usages}
	var dns []string
	var ips []net.IP
	switch t.spec.SANs {
	case sanAPIServer:
		dns = []string{t.node.Name, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc." + r.DNSDomain}
		ips = []net.IP{r.serviceIP, r.addrs[t.node.Name]}
		if ip := net.ParseIP(r.endpointHost); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, r.endpointHost)
		}
	case sanEtcd:
		dns = []string{t.node.Name, "localhost"}
		ips = []net.IP{r.addrs[t.node.Name], net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	tmpl.dns, tmpl.ips = dedupSANs(dns, ips)
	return tmpl
}

// dedupSANs sorts and dedups DNS names and dedups IPs keeping their order,
// as kubeadm's RemoveDuplicateAltNames.
func dedupSANs(dns []string, ips []net.IP) ([]string, []net.IP) {
	slices.Sort(dns)
	dns = slices.Compact(dns)
	var out []net.IP
	for _, ip := range ips {
		if !slices.ContainsFunc(out, ip.Equal) {
			out = append(out, ip)
		}
	}
	return dns, out
}
