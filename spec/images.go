package spec

// Control-plane components: a release that declares one of them gets its
// container image by default (spec.images may override it by name), as
// registry.k8s.io publishes them, for the static pods of a Cluster.
const (
	ComponentKubeAPIServer         = "kube-apiserver"
	ComponentKubeControllerManager = "kube-controller-manager"
	ComponentKubeScheduler         = "kube-scheduler"
	ComponentEtcd                  = "etcd"
)

// ControlPlaneComponents are the components with a default image, in
// the order images are built.
var ControlPlaneComponents = []string{ComponentKubeAPIServer, ComponentKubeControllerManager, ComponentKubeScheduler, ComponentEtcd}

// Images returns the images a release builds: a default image for each
// declared control-plane component (named after it, its binary as the
// entrypoint, tagged with the component's version; the base is scratch
// for static binaries and glibc from Debian for dynamically linked ones),
// replaced by the spec's image of the same name, then the spec's other
// images in the order written.
func (r *Release) Images() []Image {
	named := map[string]bool{}
	for _, im := range r.Spec.Images {
		named[im.Name] = true
	}
	var out []Image
	for _, c := range ControlPlaneComponents {
		if r.hasComponent(c) && !named[c] {
			out = append(out, Image{Name: c, Component: c})
		}
	}
	return append(out, r.Spec.Images...)
}
