#!/usr/bin/env bash
# bench/disk/mkinitrd.sh TREE KVER BUSYBOX OUT: writes OUT, the busybox
# initramfs bench/disk.sh boots as the peer of slipway's: BUSYBOX (the
# static binary of Debian's busybox-static) as /bin/busybox,
# bench/disk/init.sh as /init, /dev/console, and the modules that reach a
# virtio disk and mount the slot and the /etc overlay (virtio_pci,
# virtio_blk, squashfs, ext4, overlay), taken from TREE's
# /usr/lib/modules/KVER with their dependencies from modules.dep,
# dependencies first, skipping those the kernel has built in. A newc cpio
# (busybox cpio), zstd -19 (slipway compresses its own with zstd too).
# Prints the module list.
set -euo pipefail
tree=$1 kver=$2 busybox=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
mods=$tree/usr/lib/modules/$kver
[ -f "$mods/modules.dep" ] || { echo "mkinitrd: no $mods/modules.dep" >&2; exit 1; }
want="virtio_pci virtio_blk squashfs ext4 overlay"

declare -A dep path builtin done
while IFS=: read -r m d; do
	n=${m##*/}; n=${n%%.ko*}; n=${n//-/_}
	path[$n]=$m
	dep[$n]=$d
done <"$mods/modules.dep"
while read -r m; do
	n=${m##*/}; n=${n%%.ko*}; builtin[${n//-/_}]=1
done <"$mods/modules.builtin"
order=()
# visit NAME: its dependencies first (post-order), then itself.
visit() {
	local n=$1 d
	[ -z "${done[$n]:-}" ] || return 0
	done[$n]=1
	if [ -z "${path[$n]:-}" ]; then
		[ -n "${builtin[$n]:-}" ] && return 0
		echo "mkinitrd: module $n is neither in modules.dep nor built in" >&2
		exit 1
	fi
	for d in ${dep[$n]}; do
		d=${d##*/}; d=${d%%.ko*}; visit "${d//-/_}"
	done
	order+=("${path[$n]}")
}
for n in $want; do visit "$n"; done

root=$(mktemp -d "${out%/*}/.initrd-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,run,sysroot,lib/modules/$kver}
install -m 0755 "$busybox" "$root/bin/busybox"
install -m 0755 "$here/init.sh" "$root/init"
mknod -m 0600 "$root/dev/console" c 5 1
for m in "${order[@]}"; do
	mkdir -p "$root/lib/modules/$kver/${m%/*}"
	cp "$mods/$m" "$root/lib/modules/$kver/$m"
done
printf '%s\n' "${order[@]}" >"$root/lib/modules/$kver/modules.list"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) | zstd -q -19 -T0 >"$out.tmp"
mv "$out.tmp" "$out"
printf '%s\n' "${order[@]}"
