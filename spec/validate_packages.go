package spec

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

func (v *validator) packages(r *Release) {
	seen := map[string]bool{}
	for i, p := range r.Spec.Packages {
		pp := fmt.Sprintf("spec.packages[%d]", i)
		v.uniqueName(pp+".name", "package", p.Name, seen)
		v.packageFields(r, pp, p)
	}
	// Check the effective packages: built-ins merged with overrides.
	for _, p := range r.Packages() {
		pp := v.packagePath(r, p.Name)
		if p.Component != "" && !r.hasComponent(p.Component) {
			v.errorf(pp, "package %s takes component %q, which spec.components does not declare", p.Name, p.Component)
		}
		if p.Version == "" {
			v.errorf(pp+".version", "package %s needs a version or a component to take it from", p.Name)
		}
		if len(p.Files) == 0 {
			v.errorf(pp+".files", "package %s has no files", p.Name)
		}
		v.uniqueFiles(pp, p)
	}
}

// packagePath is the spec path of a package, or a description of the
// built-in one when the spec does not mention it.
func (v *validator) packagePath(r *Release, name string) string {
	for i, p := range r.Spec.Packages {
		if p.Name == name {
			return fmt.Sprintf("spec.packages[%d]", i)
		}
	}
	return fmt.Sprintf("packages[%s] (built in)", name)
}

func (v *validator) packageFields(r *Release, pp string, p Package) {
	if p.Version != "" {
		v.version(pp+".version", p.Version)
	}
	if p.Revision != "" && !revisionRe.MatchString(p.Revision) {
		v.errorf(pp+".revision", "%q may hold only letters, digits, '.', '+' and '~'", p.Revision)
	}
	if p.Component == "" && !IsBuiltinPackage(p.Name) && p.Version == "" {
		v.errorf(pp, "package %s is not built in: give it a component or a version", p.Name)
	}
	v.formats(pp+".formats", p.Formats)
	v.depends(pp+".depends", p.Depends)
	v.depends(pp+".recommends", p.Recommends)
	if p.Deb != nil {
		v.depends(pp+".deb.depends", p.Deb.Depends)
	}
	if p.RPM != nil {
		v.depends(pp+".rpm.depends", p.RPM.Depends)
	}
	for j, f := range p.Files {
		v.checkFile(r, fmt.Sprintf("%s.files[%d]", pp, j), f)
	}
}

func (v *validator) formats(p string, formats []string) {
	seen := map[string]bool{}
	for i, f := range formats {
		fp := fmt.Sprintf("%s[%d]", p, i)
		switch {
		case f != FormatDeb && f != FormatRPM:
			v.errorf(fp, "unknown format %q: use deb or rpm", f)
		case seen[f]:
			v.errorf(fp, "duplicate format %q", f)
		}
		seen[f] = true
	}
}

func (v *validator) depends(p string, deps []string) {
	for i, d := range deps {
		if !dependRe.MatchString(strings.TrimSpace(d)) {
			v.errorf(fmt.Sprintf("%s[%d]", p, i), "%q must be NAME or NAME OP VERSION with OP one of >= <= = > <", d)
		}
	}
}

func (v *validator) checkFile(r *Release, p string, f File) {
	v.destination(p+".dst", f.Dst)
	sources := 0
	for _, set := range []bool{f.From != "", f.Src != "", f.Content != nil} {
		if set {
			sources++
		}
	}
	switch {
	case f.Type != FileRegular && f.Type != FileConfig && f.Type != FileDir:
		v.errorf(p+".type", "unknown type %q: use config or dir, or leave it empty", f.Type)
	case f.Type == FileDir && sources > 0:
		v.errorf(p, "a dir entry takes no from, src or content")
	case f.Type != FileDir && sources != 1:
		v.errorf(p, "give exactly one of from, src or content")
	}
	if f.Mode != "" && !modeRe.MatchString(f.Mode) {
		v.errorf(p+".mode", "%q must be an octal mode such as 0755", f.Mode)
	}
	if f.From != "" {
		comp, _, _ := strings.Cut(f.From, "/")
		if !r.hasComponent(comp) {
			v.errorf(p+".from", "component %q is not declared in spec.components", comp)
		}
	}
	v.formats(p+".formats", f.Formats)
}

// destination checks an install path: absolute, clean, never the root.
func (v *validator) destination(p, dst string) {
	switch {
	case dst == "":
		v.errorf(p, "is required")
	case !path.IsAbs(dst):
		v.errorf(p, "%q must be an absolute path", dst)
	case slices.Contains(strings.Split(dst, "/"), ".."):
		v.errorf(p, "%q must not contain '..' (path traversal)", dst)
	case path.Clean(dst) == "/":
		v.errorf(p, "cannot install to /")
	case path.Clean(dst) != dst:
		v.errorf(p, "%q is not clean: write %q", dst, path.Clean(dst))
	}
}

// files checks an effective package's file list as a whole.
func (v *validator) uniqueFiles(pp string, p Package) {
	for _, format := range p.Formats {
		seen := map[string]bool{}
		for i, f := range p.Files {
			if !f.ForFormat(format) {
				continue
			}
			if seen[f.Dst] {
				v.errorf(fmt.Sprintf("%s.files[%d].dst", pp, i), "%s is installed twice in the %s package", f.Dst, format)
			}
			seen[f.Dst] = true
		}
	}
}
