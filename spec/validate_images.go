package spec

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	repoName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
	imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

func (v *validator) releaseImages(r *Release) {
	seen := map[string]bool{}
	for i, im := range r.Spec.Images {
		p := fmt.Sprintf("spec.images[%d]", i)
		switch {
		case im.Name == "":
			v.errorf(p+".name", "is required")
		case !repoName.MatchString(im.Name):
			v.errorf(p+".name", "%q is not a repository name: lower-case letters, digits, '.', '_', '-' and '/'", im.Name)
		case seen[im.Name]:
			v.errorf(p+".name", "duplicate image %q", im.Name)
		}
		seen[im.Name] = true
		switch {
		case im.Component == "":
			v.errorf(p+".component", "is required: the component whose binaries the image holds")
		case r.Component(im.Component) == nil:
			v.errorf(p+".component", "component %q is not declared in spec.components", im.Component)
		}
		if im.Tag != "" && !imageTag.MatchString(im.Tag) {
			v.errorf(p+".tag", "%q is not a valid tag", im.Tag)
		}
		if im.Base != nil {
			if im.Base.Image != "" && strings.TrimPrefix(im.Base.Image, "oci://") == "" {
				v.errorf(p+".base.image", "needs an image reference or path")
			}
			for j, d := range im.Base.Debian {
				if !packageName.MatchString(d) || strings.Contains(d, ":") {
					v.errorf(fmt.Sprintf("%s.base.debian[%d]", p, j), "%q is not a Debian package name (the architecture is added per image)", d)
				}
			}
		}
	}
}
