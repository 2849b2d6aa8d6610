package rootfs

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/slipway-dev/slipway/internal/debfile"
)

// ExtractDeb unpacks the files of a Debian package (its data.tar member)
// into dir with Extract's safety rules: what `dpkg-deb -x` does, without
// running maintainer scripts. It is how distroless-style bases are made
// from Debian packages (libc6 for dynamically linked binaries).
func ExtractDeb(ctx context.Context, dir, deb string, opts ...Option) error {
	data, err := os.ReadFile(deb)
	if err != nil {
		return fmt.Errorf("reading package: %w", err)
	}
	m, err := debfile.Find(data, "data.tar")
	if err != nil {
		return fmt.Errorf("reading %s: %w", deb, err)
	}
	r, err := m.Open()
	if err != nil {
		return fmt.Errorf("reading %s: %w", deb, err)
	}
	defer r.Close()
	if err := Extract(ctx, dir, []io.Reader{r}, opts...); err != nil {
		return fmt.Errorf("unpacking %s: %w", deb, err)
	}
	return nil
}
