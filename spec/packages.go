package spec

import "slices"

// Packages returns the packages a release builds, in a stable order: the
// built-in packages whose component the release declares (slipway-node
// always), each merged with the spec's package of the same name, then the
// spec's other packages in the order written. Defaults are filled in:
// version from the component, revision "1", license Apache-2.0, both
// formats.
func (r *Release) Packages() []Package {
	minor := 0
	if v, err := ParseVersion(r.Spec.KubernetesVersion); err == nil {
		minor = v.Minor
	}
	overrides := map[string]Package{}
	for _, p := range r.Spec.Packages {
		overrides[p.Name] = p
	}
	var out []Package
	builtin := map[string]bool{}
	for _, b := range builtinPackages(minor) {
		builtin[b.Name] = true
		o, overridden := overrides[b.Name]
		if !overridden && !r.hasComponent(b.Component) {
			continue
		}
		out = append(out, r.withDefaults(merge(b, o)))
	}
	for _, p := range r.Spec.Packages {
		if !builtin[p.Name] {
			out = append(out, r.withDefaults(p))
		}
	}
	return out
}

// Component returns the named component, or nil.
func (r *Release) Component(name string) *Component {
	for i := range r.Spec.Components {
		if r.Spec.Components[i].Name == name {
			return &r.Spec.Components[i]
		}
	}
	return nil
}

func (r *Release) hasComponent(name string) bool {
	return name == ComponentSlipwayNode || r.Component(name) != nil
}

// IsBuiltinPackage reports whether name is one of slipway's built-in packages.
func IsBuiltinPackage(name string) bool {
	for _, b := range builtinPackages(0) {
		if b.Name == name {
			return true
		}
	}
	return false
}

func (r *Release) withDefaults(p Package) Package {
	if p.Version == "" {
		if c := r.Component(p.Component); c != nil {
			p.Version = c.Version
		} else if p.Component == ComponentSlipwayNode {
			p.Version = r.Spec.Version
		}
	}
	if p.Revision == "" {
		p.Revision = "1"
	}
	if p.License == "" {
		p.License = "Apache-2.0"
	}
	if p.Maintainer == "" {
		p.Maintainer = k8sMaintainer
	}
	if p.Homepage == "" {
		p.Homepage = k8sHomepage
	}
	if p.Section == "" {
		p.Section = "admin"
	}
	if p.Summary == "" {
		p.Summary = p.Name
	}
	if len(p.Formats) == 0 {
		p.Formats = []string{FormatDeb, FormatRPM}
	}
	return p
}

// merge lays the fields set in o over the built-in b.
func merge(b, o Package) Package {
	setStr(&b.Component, o.Component)
	setStr(&b.Version, o.Version)
	setStr(&b.Revision, o.Revision)
	setStr(&b.Summary, o.Summary)
	setStr(&b.Description, o.Description)
	setStr(&b.Maintainer, o.Maintainer)
	setStr(&b.Homepage, o.Homepage)
	setStr(&b.License, o.License)
	setStr(&b.Section, o.Section)
	setList(&b.Depends, o.Depends)
	setList(&b.Recommends, o.Recommends)
	setList(&b.Formats, o.Formats)
	if o.Deb != nil {
		b.Deb = o.Deb
	}
	if o.RPM != nil {
		b.RPM = o.RPM
	}
	if o.Files != nil {
		b.Files = o.Files
	}
	if o.Scripts != nil {
		b.Scripts = o.Scripts
	}
	return b
}

func setStr(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setList(dst *[]string, v []string) {
	if v != nil {
		*dst = slices.Clone(v)
	}
}

// FormatDepends returns a package's dependencies for one format.
func (p *Package) FormatDepends(format string) []string {
	deps := slices.Clone(p.Depends)
	if f := p.formatFields(format); f != nil {
		deps = append(deps, f.Depends...)
	}
	return deps
}

func (p *Package) formatFields(format string) *FormatFields {
	if format == FormatDeb {
		return p.Deb
	}
	return p.RPM
}

// HasFormat reports whether the package is built in format.
func (p *Package) HasFormat(format string) bool { return slices.Contains(p.Formats, format) }

// ForFormat reports whether the file belongs in format.
func (f *File) ForFormat(format string) bool {
	return len(f.Formats) == 0 || slices.Contains(f.Formats, format)
}
