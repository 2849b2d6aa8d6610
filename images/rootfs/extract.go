// Package rootfs assembles OS root filesystem trees. Extract applies OCI
// image layers to a directory the way a container runtime does (whiteouts
// delete, opaque directories reset), refusing every entry that could write
// outside the tree or smuggle in what a root filesystem must not hold.
package rootfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// ErrUnsafeEntry is wrapped by every refusal of a layer entry.
var ErrUnsafeEntry = errors.New("unsafe layer entry")

// DefaultMaxEntrySize bounds one file (4 GiB): no root filesystem needs
// more, and a lying header must not fill the disk.
const DefaultMaxEntrySize = 4 << 30

type options struct {
	devices bool
	maxSize int64
	owners  bool
}

// Option configures Extract.
type Option func(*options) error

// WithDevices allows character and block devices and FIFOs (refused by
// default: image builds create them at boot, not in layers).
func WithDevices() Option { return func(o *options) error { o.devices = true; return nil } }

// WithMaxEntrySize changes DefaultMaxEntrySize.
func WithMaxEntrySize(n int64) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("max entry size must be positive, not %d", n)
		}
		o.maxSize = n
		return nil
	}
}

// WithOwners applies the entries' numeric owners and extended attributes
// (needs root; by default files belong to whoever runs the extraction).
func WithOwners() Option { return func(o *options) error { o.owners = true; return nil } }

// Extract applies uncompressed tar layers, in order, to dir. Entries are
// refused (with ErrUnsafeEntry, naming the layer and entry) when their
// path is absolute or holds "..", when a relative link target or a hard
// link leaves the tree, for devices unless WithDevices, and beyond the
// size limit. Symlinks already in the tree are followed only within it.
// On error the tree holds whatever was applied before the failing entry:
// callers extract into a staging directory they discard on failure.
func Extract(ctx context.Context, dir string, layers []io.Reader, opts ...Option) error {
	o := &options{maxSize: DefaultMaxEntrySize}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return err
		}
	}
	for i, l := range layers {
		if err := extractLayer(ctx, dir, tar.NewReader(l), o); err != nil {
			return fmt.Errorf("applying layer %d: %w", i, err)
		}
	}
	return nil
}

func extractLayer(ctx context.Context, dir string, tr *tar.Reader, o *options) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: reading the tar stream: %v", ErrUnsafeEntry, err)
		}
		name, err := checkEntry(hdr, o)
		if err != nil {
			return err
		}
		if err := apply(dir, name, hdr, tr, o); err != nil {
			return fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
	}
}

// checkEntry validates a header and returns its clean relative path.
func checkEntry(hdr *tar.Header, o *options) (string, error) {
	refuse := func(why string, args ...any) (string, error) {
		return "", fmt.Errorf("%w %q: %s", ErrUnsafeEntry, hdr.Name, fmt.Sprintf(why, args...))
	}
	name := strings.TrimPrefix(hdr.Name, "./")
	switch {
	case path.IsAbs(hdr.Name):
		return refuse("absolute path")
	case hasDotDot(name):
		return refuse("path holds '..'")
	case hdr.Size > o.maxSize:
		return refuse("%d bytes is over the %d limit", hdr.Size, o.maxSize)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir:
	case tar.TypeSymlink:
		if !path.IsAbs(hdr.Linkname) && escapes(path.Join(path.Dir(name), hdr.Linkname)) {
			return refuse("symlink to %q leaves the tree", hdr.Linkname)
		}
	case tar.TypeLink:
		if path.IsAbs(hdr.Linkname) || hasDotDot(strings.TrimPrefix(hdr.Linkname, "./")) {
			return refuse("hard link to %q leaves the tree", hdr.Linkname)
		}
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if !o.devices {
			return refuse("device or FIFO (allow with WithDevices)")
		}
	default:
		return refuse("unsupported entry type %q", hdr.Typeflag)
	}
	return path.Clean(name), nil
}

func hasDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

// escapes reports whether a relative path, cleaned, climbs above the root.
func escapes(p string) bool {
	c := path.Clean(p)
	return c == ".." || strings.HasPrefix(c, "../")
}

// apply writes one entry. Paths resolve through symlinks only within dir.
func apply(dir, name string, hdr *tar.Header, r io.Reader, o *options) error {
	base := path.Base(name)
	if base == ".wh..wh..opq" {
		return clearDir(dir, path.Dir(name))
	}
	if strings.HasPrefix(base, ".wh.") {
		target, err := securejoin.SecureJoin(dir, path.Join(path.Dir(name), strings.TrimPrefix(base, ".wh.")))
		if err != nil {
			return err
		}
		return os.RemoveAll(target)
	}
	parent, err := securejoin.SecureJoin(dir, path.Dir(name))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	dst := filepath.Join(parent, base)
	if name == "." {
		dst = dir
	}
	if err := create(dir, dst, hdr, r, o); err != nil {
		return err
	}
	if o.owners && hdr.Typeflag != tar.TypeLink {
		if err := os.Lchown(dst, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeSymlink {
			// chown clears setuid and setgid: set the mode again.
			if err := os.Chmod(dst, entryMode(hdr)); err != nil {
				return err
			}
		}
		return setXattrs(dst, hdr)
	}
	return nil
}

// setXattrs applies the entry's PAX SCHILY.xattr records (file
// capabilities among them), after chown, which clears capabilities.
func setXattrs(dst string, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		key, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok {
			continue
		}
		if err := unix.Lsetxattr(dst, key, []byte(v), 0); err != nil {
			return fmt.Errorf("setting extended attribute %s: %w", key, err)
		}
	}
	return nil
}
