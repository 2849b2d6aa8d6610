// Package spec holds slipway's declarative documents (kind: Release), loads
// them strictly from YAML and validates them, reporting every problem at once
// with file:line:column and a field path, and generates their JSON Schema.
package spec

// APIVersion is the API group and version of every slipway document.
const APIVersion = "slipway.dev/v1alpha1"

// KindRelease is the kind of the document that says what to build.
const KindRelease = "Release"

// Release says what to build: versions, architectures, the component
// binaries and the packages made from them. It holds no secrets.
type Release struct {
	// APIVersion must be slipway.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be Release.
	Kind string `json:"kind"`
	// Metadata names the release.
	Metadata Metadata `json:"metadata"`
	// Spec is the content of the release.
	Spec ReleaseSpec `json:"spec"`

	// file is the path the document was loaded from; relative sources
	// resolve against its directory.
	file string
}

// File returns the path the release was loaded from ("" when built in code).
func (r *Release) File() string { return r.file }

// Metadata identifies a document.
type Metadata struct {
	// Name is a DNS-1123 label naming the release, e.g. "example".
	Name string `json:"name"`
}

// ReleaseSpec is what a release contains.
type ReleaseSpec struct {
	// Version is the release's own semantic version, e.g. "1.0.0".
	Version string `json:"version"`
	// KubernetesVersion is the Kubernetes version the release targets, e.g.
	// "1.32.4". Repositories are published per minor (v1.32).
	KubernetesVersion string `json:"kubernetesVersion"`
	// Architectures to build for: amd64, arm64, ppc64le, s390x.
	Architectures []string `json:"architectures"`
	// Components are the binaries packages are made of, each with its own
	// version and one source per architecture.
	Components []Component `json:"components,omitempty"`
	// Packages override the built-in packages (by name) or add new ones.
	// Built-in packages are built when their component is declared;
	// slipway-node is always built.
	Packages []Package `json:"packages,omitempty"`
	// Images are container images built from components, one per
	// architecture, combined into an index. Declared control-plane
	// components (kube-apiserver, kube-controller-manager, kube-scheduler,
	// etcd) get an image by default; an entry of the same name replaces it.
	Images []Image `json:"images,omitempty"`
	// Signing names the OpenPGP key that signs packages and repositories.
	// Unset: nothing is signed.
	Signing *Signing `json:"signing,omitempty"`
	// OS is the node OS that disk images (and update payloads) are made
	// of. Unset: a Debian bookworm node OS with the release's packages.
	OS *OS `json:"os,omitempty"`
}

// Component is a versioned set of binaries with one source per architecture.
type Component struct {
	// Name identifies the component; built-in packages refer to kubelet,
	// kubeadm, kubectl, cri-tools, cni-plugins and slipway-node.
	Name string `json:"name"`
	// Version of the component, e.g. "1.32.4". Components covered by the
	// Kubernetes version-skew policy are checked against kubernetesVersion.
	Version string `json:"version"`
	// Sources maps each architecture of the release to where its binaries
	// come from.
	Sources map[string]Source `json:"sources"`
}

// Source is where one architecture's binaries of a component come from.
type Source struct {
	// URL is file://PATH (absolute, or relative to the spec file's
	// directory), https://, or oci://IMAGE. A file is one binary; a
	// directory holds the component's binaries; a .tar.gz or .tgz archive
	// is unpacked. IMAGE is a registry reference (HOST/REPO:TAG or
	// @sha256:DIGEST) or a path starting with /, ./ or ../ to an OCI
	// layout or archive; the image for the source's architecture is read.
	URL string `json:"url"`
	// Path is, for oci:// sources only, the absolute path inside the image
	// of the binary, or of a directory whose files are the binaries, e.g.
	// /usr/local/bin/kube-apiserver.
	Path string `json:"path,omitempty"`
	// SHA256 is the hex digest of the file or archive (for oci://, of the
	// one file Path names). Mandatory for https:// sources; when set for
	// other sources it is checked too.
	SHA256 string `json:"sha256,omitempty"`
}

// Package describes one package, built as deb and rpm for every
// architecture. Fields left empty keep the built-in package's values when
// the name matches one; list fields given replace the built-in lists.
type Package struct {
	// Name of the package, e.g. kubelet.
	Name string `json:"name"`
	// Component whose version the package takes by default.
	Component string `json:"component,omitempty"`
	// Version defaults to the component's version.
	Version string `json:"version,omitempty"`
	// Revision is the packaging revision; defaults to "1".
	Revision string `json:"revision,omitempty"`
	// Summary is the one-line description.
	Summary string `json:"summary,omitempty"`
	// Description is the long description.
	Description string `json:"description,omitempty"`
	// Maintainer, e.g. "Kubernetes Authors <dev@kubernetes.io>".
	Maintainer string `json:"maintainer,omitempty"`
	// Homepage URL.
	Homepage string `json:"homepage,omitempty"`
	// License, as an SPDX identifier; defaults to Apache-2.0.
	License string `json:"license,omitempty"`
	// Section (deb) defaults to "admin".
	Section string `json:"section,omitempty"`
	// Depends lists dependencies for both formats, "name" or
	// "name >= 1.2.3" (written as "name (>= 1.2.3)" in debs).
	Depends []string `json:"depends,omitempty"`
	// Recommends lists weak dependencies, in the same syntax as Depends.
	Recommends []string `json:"recommends,omitempty"`
	// Deb adds deb-only fields.
	Deb *FormatFields `json:"deb,omitempty"`
	// RPM adds rpm-only fields.
	RPM *FormatFields `json:"rpm,omitempty"`
	// Files are the package's contents.
	Files []File `json:"files,omitempty"`
	// Scripts run at install and removal.
	Scripts *Scripts `json:"scripts,omitempty"`
	// Formats to build: deb, rpm. Defaults to both.
	Formats []string `json:"formats,omitempty"`
}

// FormatFields hold what differs between deb and rpm.
type FormatFields struct {
	// Depends are added to the package's common dependencies.
	Depends []string `json:"depends,omitempty"`
}

// File is one entry of a package.
type File struct {
	// Dst is the absolute destination path, e.g. /usr/bin/kubelet.
	Dst string `json:"dst"`
	// From takes the content from a component: "kubelet" copies its only
	// binary, "cni-plugins/*" copies all of them into Dst (a directory),
	// "cri-tools/crictl" copies one named binary.
	From string `json:"from,omitempty"`
	// Src is a file relative to the spec file's directory.
	Src string `json:"src,omitempty"`
	// Content is the inline file content.
	Content *string `json:"content,omitempty"`
	// Type is "" (a regular file), "config" (kept on upgrade when changed:
	// conffile in deb, %config(noreplace) in rpm) or "dir" (an empty
	// directory owned by the package).
	Type string `json:"type,omitempty"`
	// Mode is the octal permission, e.g. "0755". Defaults to 0755 for
	// binaries and directories, 0644 otherwise.
	Mode string `json:"mode,omitempty"`
	// Formats limits the file to deb or rpm. Defaults to both.
	Formats []string `json:"formats,omitempty"`
}

// Package formats.
const (
	FormatDeb = "deb"
	FormatRPM = "rpm"
)

// File types.
const (
	FileRegular = ""
	FileConfig  = "config"
	FileDir     = "dir"
)

// Scripts are shell snippets run by the package manager.
type Scripts struct {
	PreInstall  string `json:"preInstall,omitempty"`
	PostInstall string `json:"postInstall,omitempty"`
	PreRemove   string `json:"preRemove,omitempty"`
	PostRemove  string `json:"postRemove,omitempty"`
}

// Image is a container image made of a component's binaries.
type Image struct {
	// Name is the repository name, e.g. etcd (pushed as REGISTRY/etcd).
	Name string `json:"name"`
	// Component whose binaries go to /usr/local/bin.
	Component string `json:"component"`
	// Tag defaults to the component's version.
	Tag string `json:"tag,omitempty"`
	// Base is what the binaries run on. Empty: scratch for static
	// binaries, and Debian's libc6 for dynamically linked ones.
	Base *ImageBase `json:"base,omitempty"`
	// Entrypoint defaults to the component's binary when it has one.
	Entrypoint []string `json:"entrypoint,omitempty"`
	// User defaults to root; e.g. "65532" for nonroot.
	User string `json:"user,omitempty"`
}

// ImageBase is what an image's binaries run on: an existing image, a
// distroless-style layer made from Debian packages, or both (the Debian
// layer goes over the image). Empty: scratch.
type ImageBase struct {
	// Image is a base image for every architecture: a registry reference
	// (HOST/REPO:TAG or @sha256:DIGEST) or a path starting with /, ./ or
	// ../ (relative to the spec file) to an OCI layout, an OCI archive or
	// a docker save tarball. An index must hold each architecture.
	Image string `json:"image,omitempty"`
	// Debian packages whose files make the base, downloaded for each
	// architecture with apt-get download (never installed), e.g. [libc6]
	// for dynamically linked binaries.
	Debian []string `json:"debian,omitempty"`
}

// Signing names the release's OpenPGP key.
type Signing struct {
	// OpenPGPKey is the path of an armored private key, relative to the
	// spec file's directory.
	OpenPGPKey string `json:"openpgpKey"`
	// PassphraseEnv names the environment variable holding the key's
	// passphrase, for encrypted keys.
	PassphraseEnv string `json:"passphraseEnv,omitempty"`
	// Debsig also embeds a debsigs origin signature (_gpgorigin) in each
	// deb. Off by default: apt authenticates debs through the signed
	// repository metadata (as Debian and pkgs.k8s.io do), and lintian
	// rejects extra members in a deb (misplaced-extra-member-in-deb).
	// Rpms are always signed individually (rpm -K).
	Debsig bool `json:"debsig,omitempty"`
}

// OS describes the node OS image: its root filesystem and its disk.
type OS struct {
	// Version is the OS version written into /usr/lib/os-release
	// (IMAGE_VERSION) and the boot entries. Defaults to spec.version.
	Version string `json:"version,omitempty"`
	// Rootfs is where the root filesystem comes from. Exactly one source;
	// default: debian with its defaults.
	Rootfs Rootfs `json:"rootfs,omitempty"`
	// Disk shapes the disk image.
	Disk Disk `json:"disk,omitempty"`
}

// Rootfs is one source of a root filesystem.
type Rootfs struct {
	// Debian builds the tree with mmdebstrap from Debian packages, then
	// installs the release's own deb packages on top.
	Debian *DebianRootfs `json:"debian,omitempty"`
	// Image is an OS image (slipway images os pack): a registry reference
	// or a path starting with /, ./ or ../ to an OCI layout or archive.
	Image string `json:"image,omitempty"`
	// Tarball is a .tar or .tar.gz of a root filesystem, relative to the
	// spec file.
	Tarball string `json:"tarball,omitempty"`
	// Directory is a root filesystem tree, relative to the spec file.
	Directory string `json:"directory,omitempty"`
}

// DebianRootfs is a root filesystem made of Debian packages.
type DebianRootfs struct {
	// Suite defaults to bookworm.
	Suite string `json:"suite,omitempty"`
	// Mirror defaults to the build host's Debian mirror (its apt sources).
	Mirror string `json:"mirror,omitempty"`
	// Packages are added to the default set (systemd, systemd-boot, the
	// cloud kernel, containerd, runc, ignition and what a node needs).
	Packages []string `json:"packages,omitempty"`
}

// Disk shapes the GPT disk image.
type Disk struct {
	// ESP is the EFI system partition's size; defaults to 512Mi.
	ESP string `json:"esp,omitempty"`
	// Slot is the size of each of the A and B slots; defaults to 2Gi.
	Slot string `json:"slot,omitempty"`
	// State is the STATE partition's size in the image; defaults to 1Gi
	// (it grows to fill the machine's disk on first boot).
	State string `json:"state,omitempty"`
	// SlotFilesystem is squashfs (default, zstd) or erofs.
	SlotFilesystem string `json:"slotFilesystem,omitempty"`
	// Cmdline is added to the kernel command line; defaults to
	// "console=tty0 console=ttyS0,115200n8".
	Cmdline string `json:"cmdline,omitempty"`
	// Formats to write: raw (sparse, default) and qcow2.
	Formats []string `json:"formats,omitempty"`
}
