package early

import (
	"path"
	"strings"
)

// ParseModuleList reads a ModuleList file: module paths relative to the
// modules directory, one per line, in load order. Blank lines and lines
// starting with # are skipped; paths that would leave the directory are
// dropped.
func ParseModuleList(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		clean := path.Clean(line)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			continue
		}
		out = append(out, clean)
	}
	return out
}

// ModuleName is a module file's name without directory and .ko suffixes
// ("kernel/fs/fat/vfat.ko.xz" → "vfat").
func ModuleName(file string) string {
	base := path.Base(file)
	if i := strings.Index(base, ".ko"); i > 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}
