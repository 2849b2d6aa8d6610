package packages

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// elfMachines maps slipway's architectures to ELF machine values.
var elfMachines = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
}

// ArchError reports a binary built for another architecture.
type ArchError struct {
	Path      string
	Want, Got elf.Machine
}

func (e *ArchError) Error() string {
	return fmt.Sprintf("binary %s is built for %s, not %s", e.Path, e.Got, e.Want)
}

// binaryInfo is what packaging needs to know of an ELF binary.
type binaryInfo struct {
	// static: no program interpreter (Go binaries): lintian is told why.
	static bool
	// libc: loads glibc, so a deb depends on libc6, as dpkg-shlibdeps
	// would declare (rpm leaves automatic requirements to rpmbuild).
	libc bool
}

// inspectELF checks that the file, when it is an ELF binary, is built for
// arch (and little-endian for ppc64le), and describes it. Files that are
// not ELF (scripts) pass with a zero binaryInfo.
func inspectELF(path, arch string) (binaryInfo, error) {
	fh, err := os.Open(path)
	if err != nil {
		return binaryInfo{}, fmt.Errorf("reading binary: %w", err)
	}
	defer fh.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(fh, magic); err != nil || string(magic) != elf.ELFMAG {
		return binaryInfo{}, nil
	}
	f, err := elf.NewFile(fh)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return binaryInfo{}, fmt.Errorf("binary %s: malformed ELF: %w", path, err)
		}
		return binaryInfo{}, fmt.Errorf("reading binary %s: %w", path, err)
	}
	if want := elfMachines[arch]; f.Machine != want {
		return binaryInfo{}, &ArchError{Path: path, Want: want, Got: f.Machine}
	}
	if arch == "ppc64le" && f.ByteOrder.String() != "LittleEndian" {
		return binaryInfo{}, fmt.Errorf("binary %s is big-endian ppc64, not ppc64le", path)
	}
	interp := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
	info := binaryInfo{static: !interp && (f.Type == elf.ET_EXEC || f.Type == elf.ET_DYN)}
	if libs, err := f.ImportedLibraries(); err == nil {
		info.libc = slices.Contains(libs, "libc.so.6")
	}
	return info, nil
}
