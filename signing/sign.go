package signing

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"slices"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

// cryptoHash is the digest every signature uses.
const cryptoHash = crypto.SHA256

// DetachSign returns a binary detached signature over data, like gpg
// --detach-sign. apt does not accept binary signatures as Release.gpg
// (gpgv reports NODATA); use DetachSignArmored there.
func (s *Signer) DetachSign(data io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if err := openpgp.DetachSign(&buf, s.entity, data, s.config()); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return buf.Bytes(), nil
}

// DetachSignArmored returns an ASCII-armored detached signature over data,
// like gpg --armor --detach-sign: an apt Release.gpg or a yum
// repomd.xml.asc.
func (s *Signer) DetachSignArmored(data io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&buf, s.entity, data, s.config()); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// ClearSign returns data wrapped in a cleartext signature (an InRelease),
// laid out like gpg --clearsign: a final newline of data ends the last line
// and is not part of the signed text, so no blank line precedes the
// signature.
func (s *Signer) ClearSign(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := clearsign.Encode(&buf, s.key.PrivateKey, s.config())
	if err != nil {
		return nil, fmt.Errorf("clear-signing: %w", err)
	}
	if _, err := w.Write(bytes.TrimSuffix(data, []byte("\n"))); err != nil {
		return nil, fmt.Errorf("clear-signing: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("clear-signing: %w", err)
	}
	out, err := rearmorSignature(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("clear-signing: %w", err)
	}
	return out, nil
}

// rearmorSignature re-encodes the signature block of a clearsigned message
// with a CRC-24 checksum line and a final newline. go-crypto writes neither
// (RFC 9580 made the checksum optional), and gpg 2.2, as in Debian bookworm,
// then misses the END line and fails with "invalid radix64 character 2D".
func rearmorSignature(clear []byte) ([]byte, error) {
	begin := []byte("-----BEGIN PGP SIGNATURE-----")
	i := bytes.LastIndex(clear, begin)
	if i < 0 {
		return nil, fmt.Errorf("finding signature block: no %q", begin)
	}
	block, err := armor.Decode(bytes.NewReader(clear[i:]))
	if err != nil {
		return nil, fmt.Errorf("decoding signature block: %w", err)
	}
	out := bytes.NewBuffer(bytes.Clone(clear[:i]))
	w, err := armor.Encode(out, block.Type, nil)
	if err != nil {
		return nil, fmt.Errorf("encoding signature block: %w", err)
	}
	if _, err := io.Copy(w, block.Body); err != nil {
		return nil, fmt.Errorf("encoding signature block: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encoding signature block: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// PublicKey returns the binary (non-armored) public key, the form apt's
// signed-by= file and gpg --export hold. User IDs are written sorted by name
// so the bytes are stable.
func (s *Signer) PublicKey() []byte {
	return bytes.Clone(s.public)
}

// PublicKeyArmored returns the ASCII-armored public key, the form
// repomd.xml.key, Release.key and rpm --import use.
func (s *Signer) PublicKeyArmored() []byte {
	return bytes.Clone(s.publicArmored)
}

// publicKeys returns e's public key, binary and armored.
func publicKeys(e *openpgp.Entity) (binary, armored []byte, err error) {
	var bin, arm bytes.Buffer
	if err := serializePublic(&bin, e); err != nil {
		return nil, nil, fmt.Errorf("serializing public key: %w", err)
	}
	w, err := armor.Encode(&arm, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("armoring public key: %w", err)
	}
	if _, err := w.Write(bin.Bytes()); err != nil {
		return nil, nil, fmt.Errorf("armoring public key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("armoring public key: %w", err)
	}
	arm.WriteByte('\n')
	return bin.Bytes(), arm.Bytes(), nil
}

// serializePublic writes the public part of e like Entity.Serialize, but
// with identities in name order instead of map order.
func serializePublic(w io.Writer, e *openpgp.Entity) error {
	pkts := []interface{ Serialize(io.Writer) error }{e.PrimaryKey}
	for _, sig := range e.Revocations {
		pkts = append(pkts, sig)
	}
	for _, sig := range e.Signatures {
		pkts = append(pkts, sig)
	}
	names := make([]string, 0, len(e.Identities))
	for name := range e.Identities {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		id := e.Identities[name]
		pkts = append(pkts, id.UserId)
		for _, sig := range id.Signatures {
			pkts = append(pkts, sig)
		}
	}
	for _, sub := range e.Subkeys {
		pkts = append(pkts, sub.PublicKey)
		for _, sig := range sub.Revocations {
			pkts = append(pkts, sig)
		}
		pkts = append(pkts, sub.Sig)
	}
	for _, p := range pkts {
		if err := p.Serialize(w); err != nil {
			return err
		}
	}
	return nil
}
