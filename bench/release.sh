#!/usr/bin/env bash
# bench/release.sh: the full release of the example (`slipway release`:
# packages and repositories, the etcd image, node OS, disk image, payload,
# SBOM, checksums and signature), cold (an empty cache: mmdebstrap from the
# Debian mirror, every package, image and slot filesystem built) and warm
# (the same command again: every step from the cache), BENCH_RUNS times
# (default 3; the cold runs are the expensive part), each after waiting
# for a quiet machine. Wall time and peak memory (the largest resident set
# of slipway and the tools it runs, GNU time's %M). Target: warm <= 5% of
# cold.
#
# Writes BENCH_DIR/release-rows.md and release-times.txt for bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${BENCH_RUNS:-3}
bench=${BENCH_DIR:-build/bench}
mkdir -p "$bench"
bench=$(cd "$bench" && pwd)
r=$bench/release
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
log() { echo "bench/release: $*" >&2; }
die() { echo "bench/release: $*" >&2; exit 1; }
. bench/quiet.sh
[ -x bin/slipway ] || die "bin/slipway is missing: run make build"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
[ -s build/keys/release.asc ] || hack/demo-key.sh build/keys >&2
mkdir -p "$r"
spec=$r/release.yaml
sed -e "s#file://\.\./#file://$root/#" -e "s#openpgpKey: \.\./#openpgpKey: $root/#" examples/release.yaml >"$spec"

times=$r/release-times.txt
: >"$times"
measure() { # NAME: one release into $r/out with $r/cache
	wait_quiet
	/usr/bin/time -f "%e %M" -o "$r/time.txt" bin/slipway release -f "$spec" -o "$r/out" --cache-dir "$r/cache" >/dev/null 2>"$r/slipway.log" ||
		die "slipway release failed: $(tail -20 "$r/slipway.log")"
	read -r wall kb <"$r/time.txt"
	echo "$1 $wall $kb" >>"$times"
	log "$(printf '%-6s %8.2fs wall, peak %d MiB' "$1" "$wall" $((kb / 1024)))"
}
for i in $(seq 1 "$runs"); do
	log "run $i of $runs"
	rm -rf "$r/cache" "$r/out"
	measure cold
	measure warm
done
med() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$times" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cold=$(med cold 2)
warm=$(med warm 2)
cold_kb=$(med cold 3)
warm_kb=$(med warm 3)
rw=$(ratio "$warm" "$cold")
{
	printf '| full release of the example (packages, repos, image, OS, disk, payload, SBOM, signed), cold cache, wall | %.1f s | — | — | — | — |\n' "$cold"
	printf '| the same, warm cache (nothing changed), wall | %.1f s | slipway cold | %.1f s | %.3f | ≤ 0.05: %s |\n' "$warm" "$cold" "$rw" "$(verdict "$rw" 0.05)"
	printf '| full release, peak memory (largest process), cold / warm | %d / %d MiB | — | — | — | — |\n' $((${cold_kb%.*} / 1024)) $((${warm_kb%.*} / 1024))
} >"$bench/release-rows.md"
cat "$bench/release-rows.md"
