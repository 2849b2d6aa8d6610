package disk

import (
	"context"
	"fmt"
	"os"
)

// ConvertQcow2 converts the raw image raw to a qcow2 image at dst with
// qemu-img convert -O qcow2 (uncompressed; holes stay unallocated), in a
// temp file beside dst renamed into place. qemu-img writes no times or
// random identifiers into qcow2, so the same raw image gives the same
// bytes. dst gets raw's mode.
func ConvertQcow2(ctx context.Context, raw, dst string) error {
	if err := convertQcow2(ctx, raw, dst); err != nil {
		return fmt.Errorf("converting %s to qcow2: %w", raw, err)
	}
	return nil
}

func convertQcow2(ctx context.Context, raw, dst string) error {
	if err := checkRaw(raw); err != nil {
		return err
	}
	st, err := os.Stat(raw)
	if err != nil {
		return err
	}
	img, err := newImageFile(dst, 0)
	if err != nil {
		return err
	}
	defer img.discard()
	if err := run(ctx, nil, "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, img.tmp); err != nil {
		return err
	}
	return img.commit(st.Mode().Perm())
}
