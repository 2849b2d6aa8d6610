package disk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/slipway-dev/slipway/internal/fileutil"
)

// SlotSource is the tree BuildSlot makes a slot filesystem of.
type SlotSource struct {
	// Rootfs is the tree; owners, modes and xattrs are kept.
	Rootfs string
	// FS is FSSquashfs (default) or FSErofs.
	FS string
	// Version and Epoch seed the erofs UUID; Epoch also fixes times.
	Version string
	Epoch   time.Time
}

// SlotImage is a built slot filesystem: its type, size in bytes and
// sha256 digest ("sha256:<hex>").
type SlotImage struct {
	Path   string `json:"-"`
	FS     string `json:"fs"`
	Size   int64  `json:"size"`
	Digest string `json:"digest"`
}

// BuildSlot makes the slot filesystem of src.Rootfs at dst (temp file
// beside it, renamed into place) and returns its size and sha256 digest.
// squashfs: mksquashfs -comp zstd (WithZstdLevel) -noappend, entries
// sorted by mksquashfs itself, SOURCE_DATE_EPOCH=Epoch in its environment,
// which fixes the creation time and clamps newer file times to it (older
// ones are kept as in the tree). mksquashfs 4.5 drops POSIX ACLs
// (system.posix_acl_* xattrs; the kernel's squashfs has no ACLs). erofs:
// mkfs.erofs -zlz4hc -T Epoch (every time is the epoch) -U with a UUID
// from the version and epoch. Options: WithProcessors, WithZstdLevel.
func BuildSlot(ctx context.Context, dst string, src SlotSource, opts ...Option) (*SlotImage, error) {
	img, err := BuildSlotFS(ctx, dst, src, opts...)
	if err != nil {
		return nil, err
	}
	if img.Digest, err = sha256File(dst); err != nil {
		return nil, fmt.Errorf("hashing slot filesystem: %w", err)
	}
	return img, nil
}

// makeSlotFS writes the slot filesystem to out, which must not exist.
func makeSlotFS(ctx context.Context, out string, src SlotSource, o *options) error {
	epoch := strconv.FormatInt(src.Epoch.Unix(), 10)
	var err error
	switch src.FS {
	case FSSquashfs:
		args := []string{src.Rootfs, out, "-noappend", "-quiet", "-no-progress",
			"-comp", "zstd", "-Xcompression-level", strconv.Itoa(o.zstdLevel)}
		if o.processors > 0 {
			args = append(args, "-processors", strconv.Itoa(o.processors))
		}
		err = run(ctx, []string{"SOURCE_DATE_EPOCH=" + epoch}, "mksquashfs", args...)
	case FSErofs:
		uuid := seed{src.Version, src.Epoch}.uuid("erofs rootfs")
		// Without SOURCE_DATE_EPOCH in its environment: mkfs.erofs would
		// then only clamp newer times, while -T fixes every time.
		err = run(ctx, []string{"SOURCE_DATE_EPOCH"}, "mkfs.erofs", "-zlz4hc", "-T"+epoch, "-U"+uuid, "--quiet", out, src.Rootfs)
	default:
		return fmt.Errorf("building slot filesystem: unknown type %q", src.FS)
	}
	if err != nil {
		return fmt.Errorf("building %s of %s: %w", src.FS, src.Rootfs, err)
	}
	return nil
}

// BuildSlotFS is BuildSlot without the digest (SlotImage.Digest is
// empty): Build computes it while copying the slot into place, so a
// caller that builds the slot for Build does not read it twice.
func BuildSlotFS(ctx context.Context, dst string, src SlotSource, opts ...Option) (*SlotImage, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if src.FS == "" {
		src.FS = FSSquashfs
	}
	tmp, err := tempPath(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := makeSlotFS(ctx, tmp, src, o); err != nil {
		return nil, err
	}
	img, err := probeSlot(tmp, src.FS)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("renaming slot filesystem into place: %w", err)
	}
	img.Path = dst
	return img, nil
}

// ProbeSlot checks that path holds a slot filesystem of type fs and
// returns it with its size (no digest; see BuildSlotFS).
func ProbeSlot(path, fs string) (*SlotImage, error) { return probeSlot(path, fs) }

func probeSlot(path, fs string) (*SlotImage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if got := probeFS(f, 0); got.Type != fs {
		return nil, fmt.Errorf("slot filesystem %s: found %q, expected %s", path, got.Type, fs)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &SlotImage{Path: path, FS: fs, Size: st.Size()}, nil
}

// sha256File is the "sha256:<hex>" digest of a slot filesystem.
func sha256File(path string) (string, error) {
	d, err := fileutil.SHA256(path)
	return "sha256:" + d, err
}

// tempPath creates an empty file with a unique name in dir for a tool to
// overwrite; the caller removes it.
func tempPath(dir, pattern string) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("creating temporary file: %w", err)
	}
	return f.Name(), f.Close()
}
