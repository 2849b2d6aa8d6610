#!/usr/bin/env bash
# bench/run.sh: slipway's benchmarks against its peer, printed as one table
# (figure, slipway, peer, ratio, target) and written to bench/results.md.
#
#   1. cold build of the example's full matrix (packages x amd64, arm64 x
#      deb, rpm): `slipway packages build` on an empty cache directory vs
#      the nfpm command (v2.45.2) run once per package, sequentially, on
#      equivalent configurations (packages.WriteNFPMConfigs, via
#      bench/nfpmconfigs). Both sides unsigned; the outputs are checked to
#      be byte-identical before timing.
#   2. unchanged rebuild (warm cache) vs that cold build.
#   3. PKI + Ignition generation for 3 control-plane + 100 worker nodes,
#      RSA-2048 and ECDSA-P256, vs openssl commands in a shell loop
#      (bench/pki.sh; its rows and notes are added to the table).
#   4. pushing the example's image index to Debian's docker-registry on
#      127.0.0.1, cold and warm, vs skopeo copy from the same OCI layout
#      (bench/images.sh).
#   5. the disk image build vs the shell pipeline and mksquashfs alone, the
#      unchanged rebuild, and boot time to multi-user vs a busybox
#      initramfs under QEMU (bench/disk.sh).
#   6. the slot write of `slipway node upgrade` on a disk image file vs dd
#      conv=fsync, and the bytes a patch upgrade moves (bench/upgrade.sh).
#   7. the full release of the example, cold and warm: wall time and peak
#      memory (bench/release.sh).
#
# Both sides are measured in the same run, alternating, BENCH_RUNS times
# (default 3), each measurement after waiting for a quiet machine; the
# table shows the medians of the quiet measurements. Prerequisites (make
# bench does them): make build, hack/fetch-inputs.sh build/inputs amd64 arm64.
# Environment: BENCH_RUNS, BENCH_QUIET_WAIT (seconds, default 60),
# BENCH_DIR (default build/bench), NFPM_VERSION, SOURCE_DATE_EPOCH
# (default: the last commit's time).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

runs=${BENCH_RUNS:-3}
bench=${BENCH_DIR:-build/bench}
nfpm_version=${NFPM_VERSION:-v2.45.2}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
GO=${GO:-go}

mkdir -p "$bench/bin"
bench=$(cd "$bench" && pwd)
export GOBIN=$bench/bin
log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# --- prerequisites -----------------------------------------------------------
[ -x bin/slipway ] || die "bin/slipway is missing: run make build"
for a in amd64 arm64; do
	[ -x bin/slipway-node-linux-$a ] || die "bin/slipway-node-linux-$a is missing: run make build"
	[ -x build/inputs/$a/usr/bin/kubectl ] || die "build/inputs/$a is missing: run hack/fetch-inputs.sh build/inputs amd64 arm64"
done
nfpm=$bench/bin/nfpm
if ! { [ -x "$nfpm" ] && $GO version -m "$nfpm" 2>/dev/null | grep -Eq "mod[[:space:]]+github.com/goreleaser/nfpm/v2[[:space:]]+$nfpm_version[[:space:]]"; }; then
	log "installing nfpm $nfpm_version into $GOBIN"
	$GO install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$nfpm_version"
fi
log "building bench/nfpmconfigs"
$GO build -o "$bench/bin/nfpmconfigs" ./bench/nfpmconfigs

# --- the release: the example, unsigned, with absolute sources ---------------
spec=$bench/release.yaml
awk '/^  signing:/ { skip = 1; next } skip && /^    / { next } { skip = 0; print }' examples/release.yaml |
	sed "s#file://\.\./#file://$root/#" >"$spec"
grep -q '^  signing:' "$spec" && die "could not drop signing from $spec"

# --- equivalent nfpm configurations ------------------------------------------
configs=$bench/nfpm-configs
"$bench/bin/nfpmconfigs" -f "$spec" -o "$configs" -cache-dir "$bench/configs-cache" \
	-node-agent-dir bin >"$bench/nfpm-jobs.txt"
jobs=$(wc -l <"$bench/nfpm-jobs.txt")
[ "$jobs" -gt 0 ] || die "no nfpm configurations written"
log "$jobs packages: $(awk '{print $3}' "$bench/nfpm-jobs.txt" | tr '\n' ' ')"

# --- the commands measured ---------------------------------------------------
slip_out=$bench/out-slipway
slip_cache=$bench/cache-slipway
nfpm_out=$bench/out-nfpm

slipway_build() {
	bin/slipway packages build -f "$spec" -o "$slip_out" --cache-dir "$slip_cache" >/dev/null 2>"$bench/slipway.log"
}
slipway_cold() { rm -rf "$slip_cache" "$slip_out"; sync; }
# nfpm_build also appends "PACKAGER SECONDS" per package to $bench/nfpm-split.txt.
nfpm_build() {
	local p c f t0
	while read -r p c f; do
		t0=$EPOCHREALTIME
		"$nfpm" package --config "$c" --packager "$p" --target "$nfpm_out/$f" >/dev/null </dev/null || return 1
		echo "$p $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" >>"$bench/nfpm-split.txt"
	done <"$bench/nfpm-jobs.txt"
}
nfpm_cold() { rm -rf "$nfpm_out"; mkdir -p "$nfpm_out"; sync; }

. bench/quiet.sh # cwd is the repository root

# measure NAME CMD: runs CMD, appends "NAME wall cpu others" to $times:
# seconds of wall and CPU time (user+sys), and the CPUs other processes
# used on average meanwhile.
TIMEFORMAT='%R %U %S'
measure() {
	local name=$1 t real user sys cpu b0 b1 others
	shift
	wait_quiet
	b0=$(busy)
	{ time "$@"; } 2>"$bench/time.txt" || die "$name failed: $(tail -5 "$bench/time.txt"; tail -5 "$bench/slipway.log")"
	b1=$(busy)
	t=$(tail -1 "$bench/time.txt")
	read -r real user sys <<<"$t"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
	others=$(awk -v b=$((b1 - b0)) -v hz="$hz" -v c="$cpu" -v w="$real" \
		'BEGIN { f = (b / hz - c) / (w > 0 ? w : 1); printf "%.2f", f < 0 ? 0 : f }')
	echo "$name $real $cpu $others" >>"$times"
	log "$(printf '%-14s %7.2fs wall %7.2fs cpu   others used %s CPUs' "$name" "$real" "$cpu" "$others")"
}

# --- equivalence: one untimed build on each side, compared byte for byte ----
log "checking equivalence (one untimed build each)"
slipway_cold
bin/slipway packages build -f "$spec" -o "$slip_out" --cache-dir "$slip_cache" >/dev/null 2>"$bench/slipway.log" ||
	die "slipway packages build failed: $(cat "$bench/slipway.log")"
nfpm_cold
nfpm_build || die "nfpm failed"
# debs: slipway deflates data.tar with klauspost/compress, nfpm with the
# standard library, at the same level, so the bytes differ; their control
# and data archives, uncompressed, must be identical.
debsum() { { dpkg-deb --ctrl-tarfile "$1"; dpkg-deb --fsys-tarfile "$1"; } | sha256sum; }
same=0
samecontent=0
while read -r p c f; do
	if cmp -s "$nfpm_out/$f" "$slip_out/$f"; then
		same=$((same + 1))
	elif [ "${f%.deb}" != "$f" ] && [ -f "$slip_out/$f" ] && [ "$(debsum "$nfpm_out/$f")" = "$(debsum "$slip_out/$f")" ]; then
		samecontent=$((samecontent + 1))
	else
		die "differs: $f (nfpm $(stat -c %s "$nfpm_out/$f") bytes, slipway $(stat -c %s "$slip_out/$f" 2>/dev/null || echo missing))"
	fi
done <"$bench/nfpm-jobs.txt"
[ "$(ls "$slip_out" | wc -l)" -eq "$jobs" ] || die "slipway built $(ls "$slip_out" | wc -l) packages, nfpm $jobs"
log "$same of $jobs packages byte-identical, $samecontent debs identical once uncompressed"

# --- timed runs, alternating -------------------------------------------------
times=$bench/times.txt
: >"$times"
: >"$bench/nfpm-splits.txt"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 1 "$runs"); do
	log "run $i of $runs"
	slipway_cold
	measure slipway-cold slipway_build
	measure slipway-warm slipway_build
	nfpm_cold
	: >"$bench/nfpm-split.txt"
	measure nfpm nfpm_build
	awk -v i="$i" '{ s[$1] += $2 } END { printf "nfpm-split %s", i; for (p in s) printf " %s %.2f", p, s[p]; print "" }' \
		"$bench/nfpm-split.txt" >>"$bench/nfpm-splits.txt"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- PKI and Ignition generation vs an openssl loop (bench/pki.sh) -----------
log "running bench/pki.sh"
BENCH_DIR=$bench bench/pki.sh >/dev/null || die "bench/pki.sh failed"

# --- pushing the example's image index vs skopeo (bench/images.sh) ----------
log "running bench/images.sh"
BENCH_DIR=$bench BENCH_RUNS=$runs bench/images.sh >/dev/null || die "bench/images.sh failed"

# --- disk image build vs the shell pipeline, boots vs busybox (bench/disk.sh)
log "running bench/disk.sh"
BENCH_DIR=$bench BENCH_RUNS=$runs bench/disk.sh >/dev/null || die "bench/disk.sh failed"

# --- slot write vs dd, patch upgrade bytes (bench/upgrade.sh) -----------------
log "running bench/upgrade.sh"
BENCH_DIR=$bench BENCH_RUNS=$runs bench/upgrade.sh >/dev/null || die "bench/upgrade.sh failed"

# --- the full release, cold and warm (bench/release.sh) -----------------------
log "running bench/release.sh"
BENCH_DIR=$bench BENCH_RUNS=$runs bench/release.sh >/dev/null || die "bench/release.sh failed"

# quiet NAME: NAME's measurements during which others used < 0.25 CPUs,
# or all of them when none was quiet.
quiet() {
	if awk -v n="$1" '$1 == n && $4 < 0.25 { found = 1 } END { exit !found }' "$times"; then
		awk -v n="$1" '$1 == n && $4 < 0.25' "$times"
	else
		awk -v n="$1" '$1 == n' "$times"
	fi
}
median() { # median of column $2 of quiet $1
	quiet "$1" | awk -v c="$2" '{ print $c }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
basis() { # "k quiet of n" for NAME
	local n k
	n=$(awk -v n="$1" '$1 == n' "$times" | wc -l)
	k=$(awk -v n="$1" '$1 == n && $4 < 0.25' "$times" | wc -l)
	if [ "$k" -gt 0 ]; then echo "$k quiet of $n runs"; else echo "NO quiet run of $n: machine busy, figure not meaningful"; fi
}
cold=$(median slipway-cold 2)
warm=$(median slipway-warm 2)
peer=$(median nfpm 2)
cold_cpu=$(median slipway-cold 3)
peer_cpu=$(median nfpm 3)
r1=$(ratio "$cold" "$peer")
r2=$(ratio "$warm" "$cold")
r3=$(ratio "$cold_cpu" "$peer_cpu")

table=$(
	printf '| figure | slipway | peer | peer value | ratio | target |\n'
	printf '|---|---:|---|---:|---:|---|\n'
	printf '| cold build, full matrix (%d packages), wall | %.2f s | nfpm %s CLI, once per package, sequential | %.2f s | %.3f | ≤ 0.60: %s |\n' \
		"$jobs" "$cold" "$nfpm_version" "$peer" "$r1" "$(verdict "$r1" 0.60)"
	printf '| unchanged rebuild (warm cache), wall | %.2f s | slipway cold build (row 1) | %.2f s | %.3f | ≤ 0.05: %s |\n' \
		"$warm" "$cold" "$r2" "$(verdict "$r2" 0.05)"
	printf '| cold build, CPU time (user+sys; for reference) | %.2f s | nfpm, as in row 1 | %.2f s | %.3f | — |\n' \
		"$cold_cpu" "$peer_cpu" "$r3"
	cat "$bench/pki-rows.md"
	cat "$bench/images-rows.md"
	cat "$bench/disk-rows.md"
	cat "$bench/upgrade-rows.md"
	cat "$bench/release-rows.md"
)
cpus=$(nproc)
notes=$(
	echo "Medians of alternating runs measured on a quiet machine (other processes < 0.25 CPUs): slipway cold $(basis slipway-cold), warm $(basis slipway-warm), nfpm $(basis nfpm). $cpus CPUs ($(uname -m)); load average $load_before before, $load_after after."
	awk -v c="$cold_cpu" -v w="$cold" -v n="$cpus" -v p="$peer" 'BEGIN {
		printf "slipway kept %.2f of %d CPUs busy (CPU time / wall time); with all %d busy its CPU time allows a ratio of %.3f at best.\n", c / w, n, n, c / n / p }'
	echo "Outputs compared before timing: $same of $jobs packages byte-identical between slipway and nfpm, the other $samecontent (debs) identical once uncompressed (unsigned, gzip level 6 on both sides, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)."
	cat "$bench/pki-notes.md"
	cat "$bench/disk-notes.md"
	cat "$bench/upgrade-notes.md"
)

echo
echo "$table"
echo
echo "$notes"

{
	echo "# slipway benchmark results"
	echo
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs (\`nproc\`), $(go version | awk '{print $3}'), $(bin/slipway version 2>/dev/null | head -1 || echo 'slipway ?'). Produced by \`make bench\` (bench/run.sh); see bench/README.md."
	echo
	echo "$table"
	echo
	echo "$notes"
	echo
	echo "Every measurement: wall and CPU (user+sys) seconds, and the CPUs other processes used meanwhile:"
	echo
	echo '```'
	echo "name wall-s cpu-s others-cpus"
	cat "$times"
	echo
	echo "# image pushes (bench/images.sh): name wall-s"
	cat "$bench/images-times.txt"
	echo
	echo "# disk builds and boots (bench/disk.sh)"
	cat "$bench/disk-times.txt"
	echo
	echo "# slot writes (bench/upgrade.sh): name seconds"
	cat "$bench/upgrade/upgrade-times.txt"
	echo
	echo "# full releases (bench/release.sh): name wall-s maxrss-kb"
	cat "$bench/release/release-times.txt"
	echo '```'
	echo
	echo "nfpm's wall time per run, summed by packager (deb compresses with compress/gzip on one CPU, rpm with klauspost/pgzip on all of them; both at gzip level 6):"
	echo
	echo '```'
	cat "$bench/nfpm-splits.txt"
	echo '```'
	echo
	echo "PKI rows (bench/pki.sh), every measurement: wall and CPU (user+sys) seconds, maximum resident set size (KB), and the CPUs other processes used meanwhile:"
	echo
	echo '```'
	echo "name wall-s cpu-s maxrss-kb others-cpus"
	cat "$bench/pki-times.txt"
	echo '```'
} >bench/results.md
log "wrote bench/results.md"
