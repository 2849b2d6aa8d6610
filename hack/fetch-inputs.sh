#!/bin/sh
# fetch-inputs.sh DIR ARCH...: real component binaries for the example
# release, taken from Debian's packages with `apt-get download PKG:ARCH` and
# `dpkg-deb -x` (never by installing foreign-architecture packages):
#   kubernetes-client           -> DIR/ARCH/usr/bin/kubectl
#   containernetworking-plugins -> DIR/ARCH/usr/lib/cni/*
#   etcd-server                 -> DIR/ARCH/usr/bin/etcd
# Needs apt-get (and `dpkg --add-architecture ARCH` for foreign arches,
# which this script does when run as root).
set -eu
dir=$1; shift
native=$(dpkg --print-architecture)
mkdir -p "$dir"
for arch in "$@"; do
	[ -x "$dir/$arch/usr/bin/kubectl" ] && [ -d "$dir/$arch/usr/lib/cni" ] && [ -x "$dir/$arch/usr/bin/etcd" ] && continue
	if [ "$arch" != "$native" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		echo "adding dpkg architecture $arch"
		dpkg --add-architecture "$arch"
		apt-get update -qq
	fi
	dl=$(mktemp -d); chmod 755 "$dl"
	(cd "$dl" && apt-get download -q "kubernetes-client:$arch" "containernetworking-plugins:$arch" "etcd-server:$arch") || {
		echo "apt-get download failed for $arch: run apt-get update" >&2; exit 1; }
	mkdir -p "$dir/$arch.tmp"
	for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$dir/$arch.tmp"; done
	rm -rf "$dl" "$dir/$arch"
	mv "$dir/$arch.tmp" "$dir/$arch"
	echo "fetched $arch: $(ls "$dir/$arch/usr/lib/cni" | wc -l) CNI plugins, kubectl, etcd"
done
