package packages

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
)

// digester hashes input files once per run, however many packages and
// formats use them.
type digester struct {
	mu   sync.Mutex
	sums map[string]string
}

func newDigester() *digester { return &digester{sums: map[string]string{}} }

func (d *digester) file(p string) (string, error) {
	d.mu.Lock()
	sum, ok := d.sums[p]
	d.mu.Unlock()
	if ok {
		return sum, nil
	}
	sum, err := fileSHA256(p)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.sums[p] = sum
	d.mu.Unlock()
	return sum, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("hashing input: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
