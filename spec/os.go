package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// Disk defaults.
const (
	DefaultESPSize        = "512Mi"
	DefaultSlotSize       = "2Gi"
	DefaultStateSize      = "1Gi"
	DefaultSlotFilesystem = "squashfs"
	DefaultCmdline        = "console=tty0 console=ttyS0,115200n8"
	DefaultSuite          = "bookworm"
)

// DiskArchitectures are the architectures disk images are built for
// (systemd-boot exists for amd64 and arm64; arm64 comes next).
var DiskArchitectures = []string{"amd64"}

var sizeRe = regexp.MustCompile(`^([1-9][0-9]*)(Ki|Mi|Gi|Ti)?$`)

// ParseSize reads a size such as 512Mi or 2Gi (binary units, as
// Kubernetes quantities write them) into bytes.
func ParseSize(s string) (int64, error) {
	m := sizeRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size such as 512Mi or 2Gi", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, err
	}
	shift := map[string]uint{"": 0, "Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40}[m[2]]
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n << shift, nil
}

// NodeOS returns the release's OS with every default filled in.
func (r *Release) NodeOS() OS {
	o := OS{}
	if r.Spec.OS != nil {
		o = *r.Spec.OS
	}
	if o.Version == "" {
		o.Version = r.Spec.Version
	}
	rf := &o.Rootfs
	if rf.Debian == nil && rf.Image == "" && rf.Tarball == "" && rf.Directory == "" {
		rf.Debian = &DebianRootfs{}
	}
	if rf.Debian != nil {
		d := *rf.Debian
		if d.Suite == "" {
			d.Suite = DefaultSuite
		}
		rf.Debian = &d
	}
	dk := &o.Disk
	for _, f := range []struct {
		dst *string
		def string
	}{{&dk.ESP, DefaultESPSize}, {&dk.Slot, DefaultSlotSize}, {&dk.State, DefaultStateSize},
		{&dk.SlotFilesystem, DefaultSlotFilesystem}, {&dk.Cmdline, DefaultCmdline}} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
	if len(dk.Formats) == 0 {
		dk.Formats = []string{"raw"}
	}
	return o
}

func (v *validator) nodeOS(r *Release) {
	o := r.Spec.OS
	if o == nil {
		return
	}
	p := "spec.os"
	if o.Version != "" {
		v.version(p+".version", o.Version)
	}
	n := 0
	for _, set := range []bool{o.Rootfs.Debian != nil, o.Rootfs.Image != "", o.Rootfs.Tarball != "", o.Rootfs.Directory != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		v.errorf(p+".rootfs", "give one of debian, image, tarball or directory, not %d", n)
	}
	if d := o.Rootfs.Debian; d != nil {
		for i, pkg := range d.Packages {
			if !packageName.MatchString(pkg) {
				v.errorf(fmt.Sprintf("%s.rootfs.debian.packages[%d]", p, i), "%q is not a Debian package name", pkg)
			}
		}
	}
	for _, f := range []struct{ name, val string }{{"esp", o.Disk.ESP}, {"slot", o.Disk.Slot}, {"state", o.Disk.State}} {
		if f.val == "" {
			continue
		}
		if _, err := ParseSize(f.val); err != nil {
			v.errorf(p+".disk."+f.name, "%v", err)
		}
	}
	if fs := o.Disk.SlotFilesystem; fs != "" && fs != "squashfs" && fs != "erofs" {
		v.errorf(p+".disk.slotFilesystem", "%q: want squashfs or erofs", fs)
	}
	for i, f := range o.Disk.Formats {
		if !slices.Contains([]string{"raw", "qcow2"}, f) {
			v.errorf(fmt.Sprintf("%s.disk.formats[%d]", p, i), "%q: want raw or qcow2", f)
		}
	}
}
