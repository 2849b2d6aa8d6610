package initrd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"

	"github.com/u-root/u-root/pkg/cpio"
)

// entry is one file of the archive. A regular file has Data or a Source
// on the host.
type entry struct {
	Path         string // inside the archive, relative ("usr/bin/ignition")
	Mode         uint64 // cpio mode, type bits included
	Data         []byte
	Source       string
	Rmajor, Rmin uint64 // device numbers of a device node
}

func dir(p string, perm uint64) entry { return entry{Path: p, Mode: cpio.S_IFDIR | perm} }
func file(p, src string, perm uint64) entry {
	return entry{Path: p, Mode: cpio.S_IFREG | perm, Source: src}
}
func data(p string, b []byte) entry { return entry{Path: p, Mode: cpio.S_IFREG | 0o644, Data: b} }

// withParents adds a 0755 directory for every missing parent and sorts by
// path, so a directory always precedes its content.
func withParents(entries []entry) []entry {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Path] = true
	}
	out := append([]entry(nil), entries...)
	for _, e := range entries {
		for d := path.Dir(e.Path); d != "." && !have[d]; d = path.Dir(d) {
			have[d] = true
			out = append(out, dir(d, 0o755))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// writeArchive writes a newc archive: entries in path order, owned by
// root, stamped mtime, numbered from inode 1, then the trailer.
func writeArchive(ctx context.Context, w io.Writer, entries []entry, mtime time.Time) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := cpio.Newc.Writer(bw)
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeEntry(cw, e, uint64(i+1), mtime); err != nil {
			return fmt.Errorf("writing %s: %w", e.Path, err)
		}
	}
	if err := cw.WriteRecord(cpio.TrailerRecord); err != nil {
		return err
	}
	return bw.Flush()
}

func writeEntry(cw cpio.RecordWriter, e entry, ino uint64, mtime time.Time) error {
	info := cpio.Info{
		Name: e.Path, Mode: e.Mode, Ino: ino, NLink: 1, MTime: uint64(mtime.Unix()),
		Rmajor: e.Rmajor, Rminor: e.Rmin,
	}
	if e.Mode&cpio.S_IFMT == cpio.S_IFDIR {
		info.NLink = 2
	}
	if e.Source == "" {
		rec := cpio.StaticRecord(e.Data, info)
		return cw.WriteRecord(rec)
	}
	f, err := os.Open(e.Source)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	info.FileSize = uint64(st.Size())
	return cw.WriteRecord(cpio.Record{ReaderAt: f, Info: info})
}
