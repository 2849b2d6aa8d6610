#!/bin/bash
# Measures slot filesystem variants on a rootfs tree (default: the sample):
# build time, size, and cold read time through a loop mount (needs root).
# Usage: testdata/bench-slotfs.sh [ROOTFS]
set -u
ROOT=${1:-/tmp/slipway-rootfs-sample}
B=$(mktemp -d)
export SOURCE_DATE_EPOCH=1700000000
mnt=$B/mnt; mkdir -p $mnt
read_time() { # image
  mount -o loop,ro "$1" $mnt || { echo "mount failed"; return; }
  sync; echo 3 > /proc/sys/vm/drop_caches
  local s=$(date +%s.%N)
  tar -C $mnt -cf - . | cat > /dev/null
  local e=$(date +%s.%N)
  umount $mnt
  echo "$(echo "$e - $s" | bc)"
}
row() { # name image build_seconds
  local size=$(stat -c %s "$2")
  local r1=$(read_time "$2"); local r2=$(read_time "$2")
  printf "%-28s build %7.1fs  size %5d MiB  cold read %ss / %ss\n" "$1" "$3" $((size>>20)) "$r1" "$r2"
}
sq() { # name args...
  local name=$1; shift
  rm -f $B/$name.img
  local s=$(date +%s.%N)
  mksquashfs $ROOT $B/$name.img -noappend -quiet -no-progress "$@" >/dev/null
  local e=$(date +%s.%N)
  row "$name" $B/$name.img $(echo "$e - $s" | bc)
  rm -f $B/$name.img
}
er() {
  local name=$1; shift
  rm -f $B/$name.img
  local s=$(date +%s.%N)
  mkfs.erofs --quiet -T1700000000 "$@" $B/$name.img $ROOT >/dev/null
  local e=$(date +%s.%N)
  row "$name" $B/$name.img $(echo "$e - $s" | bc)
  rm -f $B/$name.img
}
sq squashfs-zstd15 -comp zstd
sq squashfs-zstd9 -comp zstd -Xcompression-level 9
sq squashfs-zstd3 -comp zstd -Xcompression-level 3
sq squashfs-zstd19 -comp zstd -Xcompression-level 19
sq squashfs-zstd15-1M -comp zstd -b 1M
sq squashfs-xz -comp xz
sq squashfs-gzip -comp gzip
sq squashfs-lz4hc -comp lz4 -Xhc
er erofs-lz4hc -zlz4hc
er erofs-lz4 -zlz4
er erofs-none
rm -rf "$B"
