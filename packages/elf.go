package packages

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
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

// checkELF fails when the file is an ELF binary for another machine (or
// the wrong byte order for ppc64le). Files that are not ELF (scripts)
// pass.
func checkELF(path, arch string) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading binary: %w", err)
	}
	defer fh.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(fh, magic); err != nil || string(magic) != elf.ELFMAG {
		return nil
	}
	f, err := elf.NewFile(fh)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return fmt.Errorf("binary %s: malformed ELF: %w", path, err)
		}
		return fmt.Errorf("reading binary %s: %w", path, err)
	}
	want := elfMachines[arch]
	if f.Machine != want {
		return &ArchError{Path: path, Want: want, Got: f.Machine}
	}
	if arch == "ppc64le" && f.ByteOrder.String() != "LittleEndian" {
		return fmt.Errorf("binary %s is big-endian ppc64, not ppc64le", path)
	}
	return nil
}

// needsLibc reports whether the file is a dynamically linked ELF binary
// that loads glibc. Debs holding one depend on libc6, as dpkg-shlibdeps
// would declare; rpms leave it to the distribution (rpm's own automatic
// requirements are not generated for packages built outside rpmbuild).
func needsLibc(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		return false
	}
	for _, l := range libs {
		if l == "libc.so.6" {
			return true
		}
	}
	return false
}
