package disk

import (
	"path"
	"slices"
	"strings"

	"github.com/diskfs/go-diskfs/disk"
	"github.com/diskfs/go-diskfs/filesystem/fat32"

	"github.com/slipway-dev/slipway/node/boot"
)

// fatFS is the FAT32 filesystem go-diskfs returns.
type fatFS = *fat32.FileSystem

// readESP fills info's ESP fields from partition n.
func readESP(d *disk.Disk, n int, info *Info) error {
	fs, err := openESP(d, n)
	if err != nil {
		return err
	}
	files, err := walkFAT(fs, "")
	if err != nil {
		return err
	}
	info.Files = files
	exists := map[string]bool{}
	for _, f := range files {
		exists[strings.ToLower(f.Path)] = true
	}
	info.Ignition = exists[boot.IgnitionPath]
	if exists[boot.LoaderPath] {
		b, err := readFATFile(fs, boot.LoaderPath)
		if err != nil {
			return err
		}
		l, err := boot.ParseLoader(b)
		if err != nil {
			return err
		}
		info.Loader = &l
	}
	entries, err := readEntries(fs)
	if err != nil {
		return err
	}
	describeEntries(info, entries, exists)
	return nil
}

// walkFAT lists the files under dir, depth first, sorted by path.
func walkFAT(fs fatFS, dir string) ([]File, error) {
	name := dir
	if name == "" {
		name = "."
	}
	des, err := fs.ReadDir(name)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, de := range des {
		p := path.Join(dir, de.Name())
		if de.IsDir() {
			sub, err := walkFAT(fs, p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		fi, err := de.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, File{Path: p, Size: fi.Size()})
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// readEntries parses loader/entries/*.conf as systemd-boot picks them
// (not auto-*, case-insensitive .conf).
func readEntries(fs fatFS) ([]boot.Entry, error) {
	des, err := fs.ReadDir(boot.EntriesDir)
	if err != nil {
		if _, serr := fs.Stat(boot.EntriesDir); serr != nil {
			return nil, nil // no entries directory
		}
		return nil, err
	}
	var out []boot.Entry
	for _, de := range des {
		name := de.Name()
		if !strings.EqualFold(path.Ext(name), ".conf") || de.IsDir() || strings.HasPrefix(name, "auto-") {
			continue
		}
		b, err := readFATFile(fs, boot.EntriesDir+"/"+name)
		if err != nil {
			return nil, err
		}
		e, err := boot.ParseEntry(name, b)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// describeEntries sorts the entries, checks their files and picks the
// default among the bootable ones.
func describeEntries(info *Info, entries []boot.Entry, exists map[string]bool) {
	var bootable []boot.Entry
	for _, e := range boot.SortEntries(entries) {
		ei := EntryInfo{File: boot.EntriesDir + "/" + e.FileName(), Entry: e, Slot: e.Slot(), Blessed: e.Blessed(), TriesLeft: e.TriesLeft()}
		for _, f := range []string{e.Linux, e.Initrd} {
			if f != "" && !exists[strings.ToLower(strings.TrimPrefix(f, "/"))] {
				ei.Missing = append(ei.Missing, f)
			}
		}
		ei.Bootable = e.Linux != "" && exists[strings.ToLower(strings.TrimPrefix(e.Linux, "/"))]
		if ei.Bootable {
			bootable = append(bootable, e)
		}
		info.Entries = append(info.Entries, ei)
	}
	var l boot.Loader // no loader.conf: systemd-boot boots the first entry
	if info.Loader != nil {
		l = *info.Loader
	}
	if def, ok := boot.SelectDefault(l, bootable); ok {
		for i := range info.Entries {
			if info.Entries[i].File == boot.EntriesDir+"/"+def.FileName() {
				info.Default = &info.Entries[i]
			}
		}
	}
}
