#!/usr/bin/env bash
# bench/upgrade.sh: the slot write of `slipway node upgrade` on a disk image
# file against dd, and the bytes a patch upgrade moves.
#
# Uses what bench/disk.sh built (BENCH_DIR/disk: the example release, its
# cache, its disk image and tree). A second version is derived from that
# tree with ONE binary changed (/usr/bin/kubectl gets 16 bytes appended; an
# ELF runs with trailing bytes) and `slipway payload build` makes its
# payload. Then, alternating, BENCH_RUNS times (default 3), each on a fresh
# sparse copy of the 1.0.0 image and after waiting for a quiet machine:
#
#   slipway  `slipway node upgrade --disk IMG --booted a --payload LAYOUT`:
#            the slot write step it reports (slotSeconds: streaming the
#            payload's slot blob into slot b, fsync, reading it back and
#            comparing its digest) and the whole command's wall time
#            (also: verifying the payload's blobs first, the ESP writes);
#   dd       dd if=BLOB of=IMG bs=4M seek=SLOT_B oflag=seek_bytes
#            conv=notrunc,fsync: the same bytes to the same place.
#
# Before timing, one upgrade is checked: slot b then holds exactly the blob
# dd writes. Throughput ratio = dd's time / slipway's (target >= 0.9).
#
# The patch figure: a node fetches the whole payload (slot, kernel,
# initrd) today, like Flatcar, Bottlerocket and Talos; the share of 4 KiB
# blocks of the new slot that differ from the old one's at the same offset,
# and the share of distinct new 64 KiB content chunks, are what a delta
# could move at best: the baseline for later delta work.
#
# Writes under BENCH_DIR/upgrade: upgrade-times.txt, and BENCH_DIR/
# upgrade-rows.md and upgrade-notes.md for bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${BENCH_RUNS:-3}
bench=${BENCH_DIR:-build/bench}
bench=$(cd "$bench" && pwd)
d=$bench/disk
u=$bench/upgrade
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
log() { echo "bench/upgrade: $*" >&2; }
die() { echo "bench/upgrade: $*" >&2; exit 1; }
. bench/quiet.sh

[ -x bin/slipway ] || die "bin/slipway is missing: run make build"
[ -f "$d/build.json" ] || die "$d/build.json is missing: run bench/disk.sh first"
field() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
tree=$(field "$d/build.json" 'r["rootfs"]')
case $tree in /*) ;; *) tree=$root/$tree ;; esac
img=$(ls "$d"/out/*.raw | head -1)
[ -f "$img" ] || die "no disk image in $d/out"
rm -rf "$u"
mkdir -p "$u"

# --- version 2.0.0: the same tree, one binary changed -------------------------
log "deriving 2.0.0 (kubectl changed) and building its payload"
cp -a "$tree" "$u/tree"
printf 'slipway-bench-patch\n' >>"$u/tree/usr/bin/kubectl"
if grep -q '^  os:' "$d/release.yaml"; then
	awk -v t="$u/tree" '
		/^  os:/ { inos = 1; print; print "    version: 2.0.0"; print "    rootfs: {directory: " t "}"; next }
		inos && /^    (version|rootfs):/ { next }
		/^  [a-z]/ { inos = 0 }
		{ print }' "$d/release.yaml" >"$u/release.yaml"
else
	{ cat "$d/release.yaml"; printf '  os:\n    version: 2.0.0\n    rootfs: {directory: %s}\n' "$u/tree"; } >"$u/release.yaml"
fi
grep -q "directory: $u/tree" "$u/release.yaml" || die "could not set spec.os.version in $u/release.yaml (does the example have spec.os.version?)"
bin/slipway payload build -f "$u/release.yaml" -o "$u/payload" --cache-dir "$d/cache" --json >"$u/payload.json" 2>"$u/slipway.log" ||
	die "payload build failed: $(tail -20 "$u/slipway.log")"
layout=$(ls -d "$u"/payload/*-2.0.0-amd64)
bin/slipway payload inspect "$layout" --json >"$u/inspect.json"
slot_digest=$(field "$u/inspect.json" 'r["metadata"]["slot"]["digest"]')
slot_size=$(field "$u/inspect.json" 'r["metadata"]["slot"]["size"]')
kernel_size=$(field "$u/inspect.json" 'r["metadata"]["kernel"]["size"]')
initrd_size=$(field "$u/inspect.json" 'r["metadata"]["initrd"]["size"]')
blob=$layout/blobs/sha256/${slot_digest#sha256:}
[ -f "$blob" ] || die "no slot blob at $blob"
bin/slipway disk inspect "$img" --json >"$u/disk.json"
slot_b=$(field "$u/disk.json" '[p["start"] for p in r["partitions"] if p["label"] == "slipway-b"][0]')
slot_a=$(field "$u/disk.json" '[p["start"] for p in r["partitions"] if p["label"] == "slipway-a"][0]')

target=$u/target.raw
fresh() { rm -f "$target"; cp --sparse=always "$img" "$target"; sync; }
slipway_upgrade() {
	bin/slipway node upgrade --disk "$target" --booted a --payload "$layout" --ignore-skew --json >"$u/upgrade.json" 2>>"$u/slipway.log"
}
dd_write() { dd if="$blob" of="$target" bs=4M seek="$slot_b" oflag=seek_bytes conv=notrunc,fsync status=none; }

# --- equivalence ----------------------------------------------------------
fresh
slipway_upgrade || die "slipway node upgrade failed: $(tail -20 "$u/slipway.log")"
got=$(dd if="$target" bs=4M skip="$slot_b" count="$slot_size" iflag=skip_bytes,count_bytes status=none | sha256sum | cut -d' ' -f1)
[ "sha256:$got" = "$slot_digest" ] || die "slot b after the upgrade is sha256:$got, the payload's slot is $slot_digest"
log "slot b holds the payload's slot ($slot_size bytes) after one untimed upgrade"

# --- timed runs, alternating ---------------------------------------------
times=$u/upgrade-times.txt
: >"$times"
TIMEFORMAT='%R'
for i in $(seq 1 "$runs"); do
	log "run $i of $runs"
	fresh
	wait_quiet
	cmd_t=$({ time slipway_upgrade; } 2>&1) || die "slipway node upgrade failed: $(tail -20 "$u/slipway.log")"
	slot=$(field "$u/upgrade.json" 'r["slotSeconds"]')
	echo "slipway-command $cmd_t" >>"$times"
	echo "slipway-slot $slot" >>"$times"
	fresh
	wait_quiet
	dd_t=$({ time dd_write; } 2>&1) || die "dd failed"
	echo "dd $dd_t" >>"$times"
	log "slipway slot write ${slot}s (whole command ${cmd_t}s), dd ${dd_t}s"
done
med() { awk -v n="$1" '$1 == n { print $2 }' "$times" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
s_slot=$(med slipway-slot)
s_cmd=$(med slipway-command)
dd_t=$(med dd)
r_slot=$(ratio "$dd_t" "$s_slot")
r_cmd=$(ratio "$dd_t" "$s_cmd")
at_least() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "NOT met") }'; }

# --- patch upgrade: what moves, what a delta could move ---------------------
dd if="$target" of="$u/slot-a.img" bs=4M skip="$slot_a" count="$(field "$d/build.json" 'r["disk"]["slot"]["size"]')" iflag=skip_bytes,count_bytes status=none
read -r blocks chunks <<<"$(python3 - "$u/slot-a.img" "$blob" <<'EOF'
import hashlib, sys
old, new = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
n = (len(new) + 4095) // 4096
diff = sum(1 for i in range(n) if old[i*4096:(i+1)*4096] != new[i*4096:(i+1)*4096])
have = {hashlib.sha256(old[i:i+65536]).digest() for i in range(0, len(old), 65536)}
m = (len(new) + 65535) // 65536
fresh = sum(1 for i in range(0, len(new), 65536) if hashlib.sha256(new[i:i+65536]).digest() not in have)
print(f"{diff / n:.4f} {fresh / m:.4f}")
EOF
)"
payload=$((slot_size + kernel_size + initrd_size))

{
	printf '| slot write, `slipway node upgrade` on a disk image file (%d MiB; write, fsync, read back), throughput | %.2f s | dd conv=fsync, same bytes, same target | %.2f s | %.3f | ≥ 0.9: %s |\n' \
		"$((slot_size >> 20))" "$s_slot" "$dd_t" "$r_slot" "$(at_least "$r_slot" 0.9)"
	printf '| whole `slipway node upgrade` command (verify blobs, ESP, slot), throughput | %.2f s | dd, as above | %.2f s | %.3f | — |\n' \
		"$s_cmd" "$dd_t" "$r_cmd"
	printf '| patch upgrade (one binary changed): bytes a node fetches / full payload | %d MiB | full payload | %d MiB | 1.000 | baseline |\n' \
		"$((payload >> 20))" "$((payload >> 20))"
} >"$bench/upgrade-rows.md"
{
	echo "Patch upgrade (kubectl changed): a node fetches the whole payload, $((payload >> 20)) MiB (slot $((slot_size >> 20)) MiB, kernel and initrd $(((kernel_size + initrd_size) >> 20)) MiB), as Flatcar, Bottlerocket and Talos do. A delta could move less: $(awk -v b="$blocks" 'BEGIN { printf "%.1f%%", b * 100 }') of the new slot's 4 KiB blocks differ from the old slot's at the same offset (squashfs shifts everything after the changed file), and $(awk -v c="$chunks" 'BEGIN { printf "%.1f%%", c * 100 }') of its 64 KiB chunks are not found anywhere in the old slot (fixed-size chunks; content-defined chunking would align better)."
} >"$bench/upgrade-notes.md"
cat "$bench/upgrade-rows.md"
cat "$bench/upgrade-notes.md"
