package oci

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayerFromDir makes a deterministic layer of a directory tree: every
// file, directory and symlink below root, placed at the same path in the
// image, with its mode; owners are root. Devices and sockets are refused.
func LayerFromDir(root string, opts ...Option) (v1.Layer, error) {
	var files []File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := File{Path: "/" + filepath.ToSlash(rel), Mode: info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)}
		switch {
		case info.Mode().IsRegular():
			f.Type, f.Source = TypeFile, p
		case info.IsDir():
			f.Type = TypeDir
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			f.Type, f.Target = TypeSymlink, target
		default:
			return fmt.Errorf("making a layer of %s: %s is not a file, directory or symlink", root, rel)
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return LayerFromFiles(files, opts...)
}
