package disk

import (
	"context"
	"errors"
	"fmt"
	"os"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/slipway-dev/slipway/node/boot"
)

// Personalize copies the raw image src to dst and writes ign as
// slipway/config.ign on the copy's ESP, replacing one already there. The
// copy is sparse (only src's data regions are read and written, found with
// SEEK_DATA/SEEK_HOLE), made in a temp file beside dst and renamed into
// place with mode 0600: the config holds the node's keys. ign must be JSON
// with a 3.x ignition.version (full validation is the caller's). Every
// time on the ESP is set to the image's epoch, read from loader.conf, so
// the same image and config give the same bytes. src is never written;
// qcow2 gives ErrQcow2.
func Personalize(ctx context.Context, src, dst string, ign []byte) error {
	if err := personalize(ctx, src, dst, ign); err != nil {
		return fmt.Errorf("personalizing %s as %s: %w", src, dst, err)
	}
	return nil
}

func personalize(ctx context.Context, src, dst string, ign []byte) error {
	if err := checkIgnition(ign); err != nil {
		return err
	}
	if err := checkRaw(src); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	if dst2, err := os.Stat(dst); err == nil && os.SameFile(st, dst2) {
		return errors.New("the output is the input image")
	}
	img, err := newImageFile(dst, st.Size())
	if err != nil {
		return err
	}
	defer img.discard()
	if err := copySparse(ctx, img.f, in, st.Size()); err != nil {
		return fmt.Errorf("copying the image: %w", err)
	}
	if err := writeIgnition(img.f, ign); err != nil {
		return err
	}
	return img.commit(0o600)
}

// writeIgnition puts the config on the ESP of the image open in f and
// restamps the ESP's times with the epoch loader.conf carries.
func writeIgnition(f *os.File, ign []byte) error {
	d, err := diskfs.OpenBackend(file.New(f, false))
	if err != nil {
		return err
	}
	t, ok := d.Table.(*gpt.Table)
	if !ok {
		return errors.New("no GPT partition table")
	}
	var parts []PartitionInfo
	for _, p := range t.Partitions {
		parts = append(parts, PartitionInfo{Partition: partitionOf(p)})
	}
	esp, ok := findESP(parts)
	if !ok {
		return errors.New("no ESP in the image")
	}
	fs, err := openESP(d, esp.Number)
	if err != nil {
		return err
	}
	st, err := fs.Stat(boot.LoaderPath)
	if err != nil {
		return fmt.Errorf("reading the image's epoch from %s: %w", boot.LoaderPath, err)
	}
	if err := writeFATFile(fs, espFile{path: boot.IgnitionPath, data: ign}); err != nil {
		return fmt.Errorf("writing %s: %w", boot.IgnitionPath, err)
	}
	return stampFAT(f, esp.Start, st.ModTime())
}
