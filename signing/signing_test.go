package signing

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// keyCreated is the creation time of the shared test key.
var keyCreated = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// sigTime is the SOURCE_DATE_EPOCH the tests sign at.
var sigTime = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

var testKey = sync.OnceValues(func() ([]byte, error) {
	return Generate("Slipway Test", "test@slipway.invalid", keyCreated)
})

// newTestSigner returns a Signer over the shared test key at sigTime.
func newTestSigner(t *testing.T) *Signer {
	t.Helper()
	armored, err := testKey()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	s, err := Parse(armored, nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s.At(sigTime)
}

// publicRing parses s's binary public key as a keyring.
func publicRing(t *testing.T, s *Signer) openpgp.EntityList {
	t.Helper()
	ring, err := openpgp.ReadKeyRing(bytes.NewReader(s.PublicKey()))
	if err != nil {
		t.Fatalf("reading public key: %v", err)
	}
	if ring[0].PrivateKey != nil {
		t.Fatal("PublicKey contains private key material")
	}
	return ring
}

const message = "Origin: slipway\nLabel: slipway\nDate: Sat, 07 Jun 2025 08:09:10 UTC\n"

func TestRoundTrip(t *testing.T) {
	s := newTestSigner(t)
	ring := publicRing(t, s)
	verifyAt := func(sigTime time.Time) *packet.Config {
		return &packet.Config{Time: func() time.Time { return sigTime }}
	}

	sig, err := s.DetachSign(strings.NewReader(message))
	if err != nil {
		t.Fatalf("DetachSign: %v", err)
	}
	signer, err := openpgp.CheckDetachedSignature(ring, strings.NewReader(message), bytes.NewReader(sig), verifyAt(sigTime))
	if err != nil {
		t.Fatalf("verifying detached signature: %v", err)
	}
	if got := signer.PrimaryKey.KeyId; got != s.KeyID() {
		t.Errorf("signer key ID = %X, want %X", got, s.KeyID())
	}
	if _, err := openpgp.CheckDetachedSignature(ring, strings.NewReader(message+"x"), bytes.NewReader(sig), verifyAt(sigTime)); err == nil {
		t.Error("detached signature verifies over tampered data")
	}

	asc, err := s.DetachSignArmored(strings.NewReader(message))
	if err != nil {
		t.Fatalf("DetachSignArmored: %v", err)
	}
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, strings.NewReader(message), bytes.NewReader(asc), verifyAt(sigTime)); err != nil {
		t.Fatalf("verifying armored signature: %v", err)
	}

	clear, err := s.ClearSign([]byte(message))
	if err != nil {
		t.Fatalf("ClearSign: %v", err)
	}
	block, _ := clearsign.Decode(clear)
	if block == nil {
		t.Fatalf("no clearsigned block in:\n%s", clear)
	}
	if string(block.Plaintext) != strings.TrimSuffix(message, "\n") {
		t.Errorf("clearsigned plaintext = %q, want %q", block.Plaintext, message)
	}
	if _, err := block.VerifySignature(ring, verifyAt(sigTime)); err != nil {
		t.Fatalf("verifying clearsigned message: %v", err)
	}
}

func TestSignaturesAreDeterministic(t *testing.T) {
	a, b := newTestSigner(t), newTestSigner(t)
	type signFunc func(*Signer) ([]byte, error)
	cases := map[string]signFunc{
		"detached": func(s *Signer) ([]byte, error) { return s.DetachSign(strings.NewReader(message)) },
		"armored":  func(s *Signer) ([]byte, error) { return s.DetachSignArmored(strings.NewReader(message)) },
		"clear":    func(s *Signer) ([]byte, error) { return s.ClearSign([]byte(message)) },
	}
	for name, sign := range cases {
		t.Run(name, func(t *testing.T) {
			x, err := sign(a)
			if err != nil {
				t.Fatal(err)
			}
			y, err := sign(b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(x, y) {
				t.Errorf("same input and time gave different signatures:\n%x\n%x", x, y)
			}
			z, err := sign(a.At(sigTime.Add(time.Second)))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(x, z) {
				t.Error("signatures at different times are identical; time is not stamped")
			}
		})
	}
	if !bytes.Equal(a.PublicKey(), b.PublicKey()) || !bytes.Equal(a.PublicKeyArmored(), b.PublicKeyArmored()) {
		t.Error("public key serialization differs between loads")
	}
}

func TestSignatureTime(t *testing.T) {
	s := newTestSigner(t)
	cases := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"given time", sigTime, sigTime},
		{"sub-second truncated", sigTime.Add(900 * time.Millisecond), sigTime},
		{"other zone", sigTime.In(time.FixedZone("X", 3600)), sigTime},
		{"before key creation is raised", keyCreated.Add(-48 * time.Hour), keyCreated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := s.At(c.at)
			if got := at.Time(); !got.Equal(c.want) {
				t.Errorf("Time() = %v, want %v", got, c.want)
			}
			sig, err := at.DetachSign(strings.NewReader(message))
			if err != nil {
				t.Fatalf("DetachSign: %v", err)
			}
			p, err := packet.Read(bytes.NewReader(sig))
			if err != nil {
				t.Fatalf("parsing signature: %v", err)
			}
			if got := p.(*packet.Signature).CreationTime; !got.Equal(c.want) {
				t.Errorf("signature creation time = %v, want %v", got, c.want)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	s := newTestSigner(t)
	fp := s.Fingerprint()
	if len(fp) != 40 || strings.ToUpper(fp) != fp {
		t.Errorf("Fingerprint() = %q, want 40 upper-case hex digits", fp)
	}
	if id := fmt.Sprintf("%016X", s.KeyID()); fp[24:] != id {
		t.Errorf("fingerprint %s does not end in key ID %s", fp, id)
	}
	block, err := armor.Decode(bytes.NewReader(s.PublicKeyArmored()))
	if err != nil {
		t.Fatalf("decoding armored public key: %v", err)
	}
	if block.Type != openpgp.PublicKeyType {
		t.Errorf("armor type = %q, want %q", block.Type, openpgp.PublicKeyType)
	}
}

func TestLoad(t *testing.T) {
	armored, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	var binary bytes.Buffer
	if _, err := binary.ReadFrom(block.Body); err != nil {
		t.Fatal(err)
	}
	pub := newTestSigner(t)
	encrypted := encryptedKey(t, armored, []byte("sekrit"))

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name       string
		path       string
		passphrase string
		wantErr    error // nil: success; errAny: any error
	}{
		{"armored", write("key.asc", armored), "", nil},
		{"binary", write("key.gpg", binary.Bytes()), "", nil},
		{"encrypted with passphrase", write("enc.asc", encrypted), "sekrit", nil},
		{"encrypted without passphrase", write("enc2.asc", encrypted), "", ErrPassphraseRequired},
		{"encrypted wrong passphrase", write("enc3.asc", encrypted), "wrong", errAny},
		{"public key only", write("pub.gpg", pub.PublicKey()), "", ErrNoPrivateKey},
		{"public key armored", write("pub.asc", pub.PublicKeyArmored()), "", ErrNoPrivateKey},
		{"garbage", write("junk", []byte("not a key")), "", errAny},
		{"missing", filepath.Join(dir, "nope"), "", os.ErrNotExist},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Load(c.path, []byte(c.passphrase))
			switch {
			case c.wantErr == nil && err != nil:
				t.Fatalf("Load: %v", err)
			case c.wantErr == nil:
				if s.Fingerprint() != pub.Fingerprint() {
					t.Errorf("fingerprint %s, want %s", s.Fingerprint(), pub.Fingerprint())
				}
				if _, err := s.DetachSign(strings.NewReader(message)); err != nil {
					t.Errorf("DetachSign: %v", err)
				}
			case err == nil:
				t.Fatalf("Load succeeded, want error %v", c.wantErr)
			case c.wantErr != errAny && !errors.Is(err, c.wantErr):
				t.Errorf("Load error = %v, want %v", err, c.wantErr)
			case !strings.Contains(err.Error(), c.path):
				t.Errorf("Load error %q does not name the file", err)
			}
		})
	}
}

// errAny stands for "some error" in TestLoad.
var errAny = errors.New("any error")

// encryptedKey returns armored with its private keys encrypted by passphrase.
func encryptedKey(t *testing.T, armored, passphrase []byte) []byte {
	t.Helper()
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	e := ring[0]
	if err := e.EncryptPrivateKeys(passphrase, nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
