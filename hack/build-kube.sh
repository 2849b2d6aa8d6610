#!/bin/sh
# build-kube.sh OUTDIR ARCH: real Kubernetes node binaries built from source
# through the Go module proxy (dl.k8s.io and GitHub are not reachable here):
#   kubelet, kubeadm  k8s.io/kubernetes v1.33.0    -> OUTDIR/ARCH/bin/
#   kube-apiserver, kube-controller-manager, kube-scheduler (amd64 only
#   unless KUBE_CONTROL_PLANE_ARCHES="amd64 arm64")   -> OUTDIR/ARCH/bin/
#   crictl            sigs.k8s.io/cri-tools v1.33.0 -> OUTDIR/ARCH/bin/
#                     (when the proxy serves it: the one used here refuses
#                     sigs.k8s.io/cri-tools, so crictl is reported missing
#                     and the rest is built; exit status stays 0)
#   CNI plugins       github.com/containernetworking/plugins v1.6.2
#                                                  -> OUTDIR/ARCH/cni/
# Static (CGO_ENABLED=0), -trimpath, version strings stamped as the upstream
# release builds stamp them, build date fixed at the v1.33.0 release day (not
# SOURCE_DATE_EPOCH, which `make` sets from the last commit: a new commit
# must not rebuild kubelet). Idempotent: a component whose stamp file
# matches is skipped; outputs are built in a temp dir and renamed into place.
# sum.golang.org is not reachable here, so checksums come from the proxy only
# (GOSUMDB=off); kubernetes' staging modules are pinned to v0.33.0 by replace.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 OUTDIR ARCH" >&2; exit 2; }
out=$1 arch=$2
KUBE_VERSION=v1.33.0 CRI_TOOLS_VERSION=v1.33.0 CNI_VERSION=v1.6.2
STAGING_VERSION=v0.33.0
build_epoch=1745366400
export GOOS=linux GOARCH=$arch CGO_ENABLED=0 GOSUMDB=off GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false -trimpath"
mkdir -p "$out/$arch" "$out/.work"
out=$(cd "$out" && pwd)
work=$out/.work
builddate=$(date -u -d "@$build_epoch" +%Y-%m-%dT%H:%M:%SZ)

# done NAME KEY: true when NAME was already built with KEY.
done_() { [ -f "$out/$arch/.$1.stamp" ] && [ "$(cat "$out/$arch/.$1.stamp")" = "$2" ]; }
stamp() { echo "$2" >"$out/$arch/.$1.stamp"; }

# moddir MOD@VER: download a module through the proxy, print its directory.
moddir() { (cd "$work" && go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }
modhash() { (cd "$work" && go mod download -json "$1" | sed -n 's/^\t\t"Hash": "\(.*\)",*$/\1/p'); }

# copysrc MOD@VER DIR: a writable copy of a module's source.
copysrc() {
	src=$(moddir "$1")
	[ -n "$src" ] || { echo "downloading $1 failed" >&2; exit 1; }
	rm -rf "$2"; cp -r "$src" "$2"; chmod -R u+w "$2"
}

# kubemod: the build module for k8s.io/kubernetes in $w; sets $ld.
kubemod() {
	w=$work/kubernetes
	if [ ! -f "$w/go.mod" ]; then
		rm -rf "$w"; mkdir -p "$w"
		kgomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
		{
			echo "module slipway.local/kubebuild"
			echo "go 1.24"
			echo "require k8s.io/kubernetes $KUBE_VERSION"
			sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*|replace \1 => \1 '"$STAGING_VERSION"'|p' "$kgomod"
		} >"$w/go.mod.tmp"
		grep -q '^replace k8s.io/api ' "$w/go.mod.tmp" || { echo "no staging replaces found in $kgomod" >&2; exit 1; }
		mv "$w/go.mod.tmp" "$w/go.mod"
	fi
	commit=$(modhash "k8s.io/kubernetes@$KUBE_VERSION")
	minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
	ld="-s -w -buildid="
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitCommit=$commit -X $p.gitTreeState=clean"
		ld="$ld -X $p.buildDate=$builddate -X $p.gitMajor=1 -X $p.gitMinor=$minor"
	done
}

# kubebuild STAMP NAME...: build k8s.io/kubernetes/cmd/NAME... into bin/.
kubebuild() {
	stampname=$1; shift
	key="$KUBE_VERSION $arch $build_epoch"
	missing=
	for n in "$@"; do [ -x "$out/$arch/bin/$n" ] || missing=1; done
	done_ "$stampname" "$key" && [ -z "$missing" ] && return 0
	echo "building $* $KUBE_VERSION for $arch"
	kubemod
	tmp=$out/$arch/bin.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
	pkgs=; for n in "$@"; do pkgs="$pkgs k8s.io/kubernetes/cmd/$n"; done
	(cd "$w" && go build -ldflags "$ld" -o "$tmp/" $pkgs)
	mkdir -p "$out/$arch/bin"
	for n in "$@"; do mv "$tmp/$n" "$out/$arch/bin/"; done
	rmdir "$tmp"
	stamp "$stampname" "$key"
}

kube() { kubebuild kube kubelet kubeadm; }

# The control plane (static, scratch-based images): amd64 only unless
# KUBE_CONTROL_PLANE_ARCHES says otherwise, to keep cold test runs short.
controlplane() {
	case " ${KUBE_CONTROL_PLANE_ARCHES:-amd64} " in *" $arch "*) ;; *) return 0 ;; esac
	kubebuild controlplane kube-apiserver kube-controller-manager kube-scheduler
}

crictl() {
	key="$CRI_TOOLS_VERSION $arch"
	done_ crictl "$key" && [ -x "$out/$arch/bin/crictl" ] && return 0
	echo "building crictl $CRI_TOOLS_VERSION for $arch"
	src=$(moddir "sigs.k8s.io/cri-tools@$CRI_TOOLS_VERSION")
	if [ -z "$src" ]; then
		echo "warning: the Go module proxy does not serve sigs.k8s.io/cri-tools@$CRI_TOOLS_VERSION: no crictl" >&2
		return 0
	fi
	w=$work/cri-tools; copysrc "sigs.k8s.io/cri-tools@$CRI_TOOLS_VERSION" "$w"
	mkdir -p "$out/$arch/bin"
	(cd "$w" && go build -ldflags "-s -w -buildid= -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" \
		-o "$out/$arch/bin/crictl.tmp" ./cmd/crictl)
	mv "$out/$arch/bin/crictl.tmp" "$out/$arch/bin/crictl"
	stamp crictl "$key"
}

cni() {
	key="$CNI_VERSION $arch"
	done_ cni "$key" && [ -x "$out/$arch/cni/bridge" ] && return 0
	echo "building CNI plugins $CNI_VERSION for $arch"
	w=$work/plugins; copysrc "github.com/containernetworking/plugins@$CNI_VERSION" "$w"
	tmp=$out/$arch/cni.tmp; rm -rf "$tmp"; mkdir -p "$tmp"
	pkgs=$(cd "$w" && ls -d plugins/main/* plugins/ipam/* plugins/meta/* | grep -v windows | grep -v '/win' | sed 's|^|./|')
	(cd "$w" && go build -ldflags "-s -w -buildid= -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_VERSION" \
		-o "$tmp/" $pkgs)
	rm -rf "$out/$arch/cni"; mv "$tmp" "$out/$arch/cni"
	stamp cni "$key"
}

kube
controlplane
crictl
cni
echo "built in $out/$arch: $(ls "$out/$arch/bin" | tr '\n' ' ')+ $(ls "$out/$arch/cni" | wc -l) CNI plugins"
