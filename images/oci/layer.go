package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// FileType says what kind of entry a File is.
type FileType string

// File types. The zero value is TypeFile.
const (
	TypeFile    FileType = "file"
	TypeDir     FileType = "dir"
	TypeSymlink FileType = "symlink"
)

// File is one entry of a layer.
//
// Path is absolute inside the image (/usr/local/bin/etcd). A regular file
// takes its bytes from Source (a host path, read when the layer is built) or
// Contents; neither means an empty file. Mode holds permission bits plus
// optionally fs.ModeSetuid, fs.ModeSetgid and fs.ModeSticky; when zero it
// defaults to the Source file's permissions, else 0644 for files, 0755 for
// directories and 0777 for symlinks. UID and GID default to 0 (root).
type File struct {
	Path     string
	Type     FileType
	Mode     fs.FileMode
	Source   string
	Contents []byte
	Target   string
	UID, GID int
}

// parentDirMode is the mode of directories added because a file needs them.
const parentDirMode = 0o755

// LayerFromFiles returns a gzip-compressed OCI layer holding files and every
// missing parent directory. Entries are sorted by path, named relative to /
// (directories end in /), stamped with the epoch (WithEpoch), owned by numeric
// ids with empty user and group names, and written without PAX records, so the
// same files always give the same digest. All problems with files are reported
// together.
func LayerFromFiles(files []File, opts ...Option) (v1.Layer, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	entries, err := planEntries(files)
	if err != nil {
		return nil, err
	}
	key := ""
	if o.layerCache != "" {
		if key, err = layerKey(entries, o); err != nil {
			return nil, err
		}
		if l := cachedLayer(o.layerCache, key); l != nil {
			return l, nil
		}
	}
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, f := range entries {
		if err := writeEntry(tw, f, o); err != nil {
			return nil, fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing tar: %w", err)
	}
	l, err := newLayer(raw.Bytes())
	if err != nil || key == "" {
		return l, err
	}
	if err := storeLayer(o.layerCache, key, l); err != nil {
		return nil, fmt.Errorf("caching layer: %w", err)
	}
	return l, nil
}

// planEntries validates files, adds missing parents and sorts by path.
func planEntries(files []File) ([]File, error) {
	byPath := map[string]File{}
	var errs []error
	for i, f := range files {
		if err := validateFile(f); err != nil {
			errs = append(errs, fmt.Errorf("files[%d] %q: %w", i, f.Path, err))
			continue
		}
		if _, dup := byPath[f.Path]; dup {
			errs = append(errs, fmt.Errorf("files[%d] %q: duplicate path", i, f.Path))
			continue
		}
		byPath[f.Path] = f
	}
	declared := make([]string, 0, len(byPath))
	for p := range byPath {
		declared = append(declared, p)
	}
	sort.Strings(declared)
	for _, p := range declared {
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			parent, ok := byPath[dir]
			if !ok {
				byPath[dir] = File{Path: dir, Type: TypeDir, Mode: parentDirMode}
			} else if parent.Type != TypeDir {
				errs = append(errs, fmt.Errorf("%q: parent %q is not a dir", p, dir))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("validating layer files: %w", err)
	}
	out := make([]File, 0, len(byPath))
	for _, f := range byPath {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func validateFile(f File) error {
	if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
		return errors.New("path must be absolute, clean and not /")
	}
	if f.Mode&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return fmt.Errorf("mode %v has type bits; use Type", f.Mode)
	}
	if f.UID < 0 || f.GID < 0 {
		return errors.New("negative uid or gid")
	}
	switch f.Type {
	case TypeFile, "":
		if f.Source != "" && f.Contents != nil {
			return errors.New("both Source and Contents set")
		}
		if f.Target != "" {
			return errors.New("Target set on a regular file")
		}
	case TypeDir, TypeSymlink:
		if f.Source != "" || f.Contents != nil {
			return fmt.Errorf("Source or Contents set on a %s", f.Type)
		}
		if (f.Type == TypeSymlink) != (f.Target != "") {
			return errors.New("Target must be set on symlinks and only on them")
		}
	default:
		return fmt.Errorf("unknown type %q", f.Type)
	}
	return nil
}

func writeEntry(tw *tar.Writer, f File, o *options) error {
	hdr := &tar.Header{
		Name:    strings.TrimPrefix(f.Path, "/"),
		Uid:     f.UID,
		Gid:     f.GID,
		ModTime: o.epoch,
		Format:  tar.FormatGNU,
	}
	var body []byte
	mode := f.Mode
	switch f.Type {
	case TypeDir:
		hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		mode = orDefault(mode, 0o755)
	case TypeSymlink:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.Target
		mode = orDefault(mode, 0o777)
	default:
		hdr.Typeflag, body = tar.TypeReg, f.Contents
		if f.Source != "" {
			var err error
			if body, mode, err = readSource(f.Source, mode); err != nil {
				return err
			}
		}
		mode = orDefault(mode, 0o644)
		hdr.Size = int64(len(body))
	}
	hdr.Mode = tarMode(mode)
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing header: %w", err)
	}
	if _, err := tw.Write(body); err != nil {
		return fmt.Errorf("writing contents: %w", err)
	}
	return nil
}

// readSource reads a host file; mode falls back to the host's permissions.
func readSource(src string, mode fs.FileMode) ([]byte, fs.FileMode, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return nil, 0, fmt.Errorf("reading source: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("reading source %s: not a regular file", src)
	}
	body, err := os.ReadFile(src)
	if err != nil {
		return nil, 0, fmt.Errorf("reading source: %w", err)
	}
	if mode == 0 {
		mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	return body, mode, nil
}

func orDefault(m, def fs.FileMode) fs.FileMode {
	if m == 0 {
		return def
	}
	return m
}

// tarMode converts permission and special bits to the tar header's c_mode.
func tarMode(m fs.FileMode) int64 {
	out := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		out |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		out |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		out |= 0o1000
	}
	return out
}

// gzipBytes compresses b with no name, no mtime and a fixed level and OS byte.
func gzipBytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("creating gzip writer: %w", err)
	}
	zw.OS = 255 // unknown, so the host OS does not leak into the digest
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compressing layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing layer: %w", err)
	}
	return out.Bytes(), nil
}
