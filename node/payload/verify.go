package payload

import (
	"bytes"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// CheckArch returns an error wrapping ErrArch unless the payload is for
// arch.
func (p *Payload) CheckArch(arch string) error {
	if p.Metadata.Arch != arch {
		return fmt.Errorf("%w: %s %s is for %s, this node is %s", ErrArch, p.Metadata.Name, p.Metadata.Version, p.Metadata.Arch, arch)
	}
	return nil
}

// VerifySignature checks the payload's detached signature over its
// metadata bytes with the OpenPGP public keys of keyring (armored or
// binary; several keys may be concatenated). It returns an error wrapping
// ErrUnsigned when the payload carries no signature and one wrapping
// ErrSignature when the signature does not verify with any of the keys.
func (p *Payload) VerifySignature(keyring []byte) error {
	if p.Signature == nil {
		return fmt.Errorf("%w: %s carries no signature layer", ErrUnsigned, p.Ref)
	}
	return VerifyDetached(keyring, p.MetadataBytes, p.Signature)
}

// VerifyDetached checks a detached OpenPGP signature (armored or binary)
// over data with the public keys of keyring (armored or binary; several
// may be concatenated); an error wraps ErrSignature when it does not
// verify with any of them.
func VerifyDetached(keyring, data, sig []byte) error {
	keys, err := readKeyring(keyring)
	if err != nil {
		return err
	}
	signed := bytes.NewReader(data)
	if bytes.Contains(sig, []byte("-----BEGIN PGP SIGNATURE-----")) {
		_, err = openpgp.CheckArmoredDetachedSignature(keys, signed, bytes.NewReader(sig), nil)
	} else {
		_, err = openpgp.CheckDetachedSignature(keys, signed, bytes.NewReader(sig), nil)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

// readKeyring reads one or more armored blocks, or binary keys.
func readKeyring(b []byte) (openpgp.EntityList, error) {
	if !bytes.Contains(b, []byte("-----BEGIN PGP")) {
		keys, err := openpgp.ReadKeyRing(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("reading keyring: %w", err)
		}
		return keys, nil
	}
	var all openpgp.EntityList
	for rest := b; ; {
		i := bytes.Index(rest, []byte("-----BEGIN PGP"))
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := bytes.Index(rest, []byte("-----END PGP"))
		if end < 0 {
			return nil, fmt.Errorf("reading keyring: armor block without an END line")
		}
		next := end + bytes.IndexByte(rest[end:], '\n') + 1
		if next <= end {
			next = len(rest)
		}
		keys, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(rest[:next]))
		if err != nil {
			return nil, fmt.Errorf("reading keyring: %w", err)
		}
		all, rest = append(all, keys...), rest[next:]
	}
	return all, nil
}
