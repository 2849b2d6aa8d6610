package signing

import (
	"bytes"
	"crypto"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// GenerateBits is the RSA modulus size of keys made by Generate.
const GenerateBits = 3072

// Generate returns a new unencrypted, non-expiring RSA-3072 private key,
// armored, with one user ID "name <email>", created at t. RSA is what
// pkgs.k8s.io signs with and what every apt (gpgv) and rpm/dnf release
// verifies; its PKCS#1 v1.5 signatures are deterministic. The key itself is
// random: two calls never return the same key. It is meant for tests, demos
// and first-time setup; production keys belong in a secret store.
func Generate(name, email string, t time.Time) (armoredPrivate []byte, err error) {
	t = t.Truncate(time.Second)
	cfg := &packet.Config{
		Algorithm:   packet.PubKeyAlgoRSA,
		RSABits:     GenerateBits,
		DefaultHash: crypto.SHA256,
		Time:        func() time.Time { return t },
	}
	e, err := openpgp.NewEntity(name, "", email, cfg)
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		return nil, fmt.Errorf("armoring key: %w", err)
	}
	if err := e.SerializePrivate(w, cfg); err != nil {
		return nil, fmt.Errorf("serializing key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("armoring key: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
