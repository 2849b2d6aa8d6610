// Package signing signs repository metadata (apt Release files, yum
// repomd.xml) with one OpenPGP private key.
//
// Signatures are reproducible: a Signer stamps every signature with one fixed
// time (see Signer.At), uses SHA-256, and never adds the random salt notation
// that go-crypto puts into signatures by default. With an RSA or EdDSA key the
// same input and time give the same signature bytes.
package signing

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// ErrNoPrivateKey means the key material holds no usable private signing
// key: a public key was given, or every signing key is a gpg stub.
var ErrNoPrivateKey = errors.New("no private signing key")

// ErrPassphraseRequired means the private key is encrypted and no passphrase
// was given.
var ErrPassphraseRequired = errors.New("private key is encrypted and no passphrase was given")

// Signer holds one private OpenPGP signing key and the time it stamps on
// signatures. It is safe for concurrent use; At returns a modified copy.
type Signer struct {
	entity *openpgp.Entity
	key    openpgp.Key // the (sub)key that makes signatures
	now    time.Time   // signature creation time before clamping
	// notBefore is the earliest time at which the key and its
	// self-signatures exist; signatures are never stamped earlier.
	notBefore time.Time
	// public and publicArmored are the serialized public key.
	public, publicArmored []byte
}

// Load reads a private key from path, armored or binary, and decrypts it with
// passphrase when it is encrypted. When the file holds several keys the first
// one with a usable private signing key is used. Signatures are stamped with
// the time of the call to Load until At says otherwise.
func Load(path string, passphrase []byte) (*Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading signing key: %w", err)
	}
	s, err := Parse(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("loading signing key %s: %w", path, err)
	}
	return s, nil
}

// Parse is Load for key material already in memory (for instance from an
// environment variable).
func Parse(data []byte, passphrase []byte) (*Signer, error) {
	entities, err := readKeyRing(data)
	if err != nil {
		return nil, fmt.Errorf("parsing OpenPGP key: %w", err)
	}
	now := time.Now()
	for _, e := range entities {
		key, ok := e.SigningKey(now)
		if !ok || key.PrivateKey == nil || key.PrivateKey.Dummy() {
			continue
		}
		if err := decrypt(e, passphrase); err != nil {
			return nil, err
		}
		public, armored, err := publicKeys(e)
		if err != nil {
			return nil, err
		}
		return &Signer{
			entity: e, key: key, now: now, notBefore: notBefore(e, key),
			public: public, publicArmored: armored,
		}, nil
	}
	return nil, ErrNoPrivateKey
}

// readKeyRing reads armored or binary OpenPGP key material.
func readKeyRing(data []byte) (openpgp.EntityList, error) {
	if bytes.Contains(data, []byte("-----BEGIN PGP")) {
		block, err := armor.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("decoding armor: %w", err)
		}
		return openpgp.ReadKeyRing(block.Body)
	}
	return openpgp.ReadKeyRing(bytes.NewReader(data))
}

// decrypt decrypts every encrypted private key of e with passphrase.
func decrypt(e *openpgp.Entity, passphrase []byte) error {
	encrypted := e.PrivateKey != nil && e.PrivateKey.Encrypted
	for _, sub := range e.Subkeys {
		encrypted = encrypted || (sub.PrivateKey != nil && sub.PrivateKey.Encrypted)
	}
	if !encrypted {
		return nil
	}
	if len(passphrase) == 0 {
		return ErrPassphraseRequired
	}
	if err := e.DecryptPrivateKeys(passphrase); err != nil {
		return fmt.Errorf("decrypting private key: %w", err)
	}
	return nil
}

// notBefore returns the latest creation time among the primary key, its
// self-signature, the signing key and its binding signature: go-crypto and
// gpg refuse to make, and gpg rejects ("key created in the future"), a
// signature older than any of them.
func notBefore(e *openpgp.Entity, key openpgp.Key) time.Time {
	t := e.PrimaryKey.CreationTime
	later := func(u time.Time) {
		if u.After(t) {
			t = u
		}
	}
	if sig, _ := e.PrimarySelfSignature(); sig != nil {
		later(sig.CreationTime)
	}
	later(key.PublicKey.CreationTime)
	if key.SelfSignature != nil {
		later(key.SelfSignature.CreationTime)
	}
	return t
}

// At returns a copy of s that stamps signatures with time t, truncated to
// whole seconds. Pass SOURCE_DATE_EPOCH to make signatures reproducible. A t
// earlier than the key's own creation (or its latest self-signature) is
// raised to that time, since no OpenPGP implementation accepts a signature
// older than its key; the result is still reproducible.
func (s *Signer) At(t time.Time) *Signer {
	c := *s
	c.now = t
	return &c
}

// Time returns the creation time that s stamps on signatures, after
// truncation to seconds and raising to the key's creation time.
func (s *Signer) Time() time.Time {
	t := s.now.Truncate(time.Second)
	if t.Before(s.notBefore) {
		t = s.notBefore
	}
	return t.UTC()
}

// Fingerprint returns the primary key's fingerprint in upper-case hex, the
// form gpg --list-keys prints.
func (s *Signer) Fingerprint() string {
	return fmt.Sprintf("%X", s.entity.PrimaryKey.Fingerprint)
}

// KeyID returns the primary key's 64-bit key ID. Signatures may be issued by
// a signing subkey with another ID; verifiers resolve it through the public
// key that PublicKey returns.
func (s *Signer) KeyID() uint64 {
	return s.entity.PrimaryKey.KeyId
}

// config returns the go-crypto configuration for one signature.
func (s *Signer) config() *packet.Config {
	t := s.Time()
	deterministic := false
	return &packet.Config{
		DefaultHash:                           cryptoHash,
		Time:                                  func() time.Time { return t },
		SigningKeyId:                          s.key.PublicKey.KeyId,
		NonDeterministicSignaturesViaNotation: &deterministic,
	}
}
