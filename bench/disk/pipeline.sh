#!/usr/bin/env bash
# bench/disk/pipeline.sh TREE KERNEL INITRD BOOTLOADER VERSION OUT WORK:
# the shell pipeline a release engineer writes today to make the disk
# image `slipway disk build` makes, with the same compression and layout,
# one step after the other. It writes OUT (a sparse GPT disk image) and
# uses WORK for the three partition images:
#   1. the slot: mksquashfs TREE with slipway's flags (zstd level 9,
#      SOURCE_DATE_EPOCH from the environment);
#   2. the ESP: mkfs.vfat -F 32 of the ESP's size, then mmd + mcopy of
#      systemd-boot (BOOTLOADER, twice), loader.conf, slot a's blessed entry
#      (the same text slipway writes), KERNEL and INITRD;
#   3. STATE: mkfs.ext4 -L slipway-state of STATE's size;
#   4. the GPT: truncate + sgdisk, the same labels, type GUIDs and sizes;
#   5. dd conv=notrunc,sparse of the three images into place.
# Sizes in MiB: ESP_MIB (512), SLOT_MIB (2048), STATE_MIB (1024), as
# slipway's default layout. CMDLINE follows slipway.slot=a (default
# slipway's).
set -euo pipefail
tree=$1 kernel=$2 initrd=$3 bootloader=$4 version=$5 out=$6 work=$7
esp=${ESP_MIB:-512} slot=${SLOT_MIB:-2048} state=${STATE_MIB:-1024}
cmdline=${CMDLINE:-console=tty0 console=ttyS0,115200n8}
export MTOOLS_SKIP_CHECK=1
mkdir -p "$work"
rm -f "$work/slot.img" "$work/esp.img" "$work/state.img" "$out"

# 1. slot a: the root filesystem
mksquashfs "$tree" "$work/slot.img" -noappend -quiet -no-progress -comp zstd -Xcompression-level 9

# 2. the ESP
mkfs.vfat -F 32 -n ESP -C "$work/esp.img" $((esp * 1024)) >/dev/null
printf 'default slipway-*\ntimeout 0\n' >"$work/loader.conf"
cat >"$work/slipway-a.conf" <<ENTRY
title slipway $version (slot a)
version $version
sort-key slipway
linux /slipway/a/vmlinuz
initrd /slipway/a/initrd
options slipway.slot=a $cmdline
ENTRY
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/systemd ::/loader ::/loader/entries ::/slipway ::/slipway/a
mcopy -i "$work/esp.img" "$bootloader" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/esp.img" "$bootloader" ::/EFI/systemd/systemd-bootx64.efi
mcopy -i "$work/esp.img" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$work/esp.img" "$work/slipway-a.conf" ::/loader/entries/slipway-a.conf
mcopy -i "$work/esp.img" "$kernel" ::/slipway/a/vmlinuz
mcopy -i "$work/esp.img" "$initrd" ::/slipway/a/initrd

# 3. STATE
mkfs.ext4 -q -L slipway-state "$work/state.img" "${state}M"

# 4. the partition table
truncate -s $(((1 + esp + 2 * slot + state + 1) * 1024 * 1024)) "$out"
sgdisk \
	-n 1:1M:+${esp}M -t 1:C12A7328-F81F-11D2-BA4B-00A0C93EC93B -c 1:esp \
	-n 2:0:+${slot}M -t 2:4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 -c 2:slipway-a \
	-n 3:0:+${slot}M -t 3:4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 -c 3:slipway-b \
	-n 4:0:+${state}M -t 4:4D21B016-B534-45C2-A9FB-5C16E091FD2D -c 4:slipway-state \
	"$out" >/dev/null

# 5. the partitions into place
dd if="$work/esp.img" of="$out" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/slot.img" of="$out" bs=1M seek=$((1 + esp)) conv=notrunc,sparse status=none
dd if="$work/state.img" of="$out" bs=1M seek=$((1 + esp + 2 * slot)) conv=notrunc,sparse status=none
