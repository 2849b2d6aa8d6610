#!/usr/bin/env bash
# bench/images.sh: pushing the example's multi-arch image index to Debian's
# docker-registry on 127.0.0.1, slipway vs skopeo, in the same run.
#
#   slipway: `slipway images push --from LAYOUTS --registry ...`
#   skopeo:  `skopeo copy --all oci:LAYOUT docker://...` of the same index,
#            prebuilt by `slipway images build` (untimed)
# slipway pushes with --from, the layouts `images build` wrote (the same
# bytes skopeo copies). Each side pushes to a fresh registry (cold: every blob uploaded), then
# again with nothing changed (warm: no blob uploaded). The digests both
# sides leave in the registry are checked to be the same.
# Writes $BENCH_DIR/images-rows.md (table rows for bench/run.sh) and prints
# the table. Prerequisites: make build, hack/fetch-inputs.sh, docker-registry
# and skopeo (hack/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${BENCH_RUNS:-3}
bench=${BENCH_DIR:-build/bench}
mkdir -p "$bench"
bench=$(cd "$bench" && pwd)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
for t in docker-registry skopeo; do command -v $t >/dev/null || die "$t is missing: run hack/deps.sh"; done
[ -x bin/slipway ] || die "bin/slipway is missing: run make build"

spec=$bench/images-release.yaml
awk '/^  signing:/ { skip = 1; next } skip && /^    / { next } { skip = 0; print }' examples/release.yaml |
	sed "s#file://\.\./#file://$root/#" >"$spec"
cache=$bench/images-cache
layout=$bench/images-layout
rm -rf "$layout"
bin/slipway images build -f "$spec" -o "$layout" --cache-dir "$cache" >/dev/null 2>"$bench/images.log" ||
	die "images build failed: $(cat "$bench/images.log")"
tag=$(tr -d " \n" <"$layout/etcd/index.json" | sed -n 's/.*"org.opencontainers.image.ref.name":"\([^"]*\)".*/\1/p')

regpid=
port=
start_registry() {
	stop_registry
	local dir=$bench/registry
	rm -rf "$dir"; mkdir -p "$dir"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"}\n' "$dir/data" "$port" >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	regpid=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && return 0; sleep 0.1; done
	die "docker-registry did not start: $(cat "$dir/log")"
}
stop_registry() { if [ -n "$regpid" ]; then kill "$regpid" 2>/dev/null || true; wait "$regpid" 2>/dev/null || true; fi; regpid=; }
trap stop_registry EXIT

startup() { bin/slipway version >/dev/null; }
slipway_push() { bin/slipway images push --from "$layout" --registry "127.0.0.1:$port/k8s" >/dev/null 2>>"$bench/images.log"; }
skopeo_push() { skopeo copy -q --all --dest-tls-verify=false "oci:$layout/etcd:$tag" "docker://127.0.0.1:$port/k8s/etcd:$tag" >/dev/null; }
digest() { skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/k8s/etcd:$tag" | sha256sum | cut -d' ' -f1; }

. bench/quiet.sh
times=$bench/images-times.txt
: >"$times"
TIMEFORMAT='%R'
measure() {
	local name=$1; shift
	wait_quiet
	{ time "$@"; } 2>"$bench/images-time.txt" || die "$name failed: $(tail -5 "$bench/images.log")"
	echo "$name $(tail -1 "$bench/images-time.txt")" >>"$times"
	log "$(printf '%-14s %7.3fs' "$name" "$(tail -1 "$bench/images-time.txt")")"
}
for i in $(seq 1 "$runs"); do
	log "images run $i of $runs"
	start_registry; measure slipway-cold slipway_push; measure slipway-warm slipway_push; d1=$(digest)
	start_registry; measure skopeo-cold skopeo_push; measure skopeo-warm skopeo_push; d2=$(digest)
	measure startup startup
	[ "$d1" = "$d2" ] || die "slipway left sha256:$d1 in the registry, skopeo sha256:$d2"
done
stop_registry
median() { awk -v n="$1" '$1 == n { print $2 }' "$times" | sort -g |
	awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sc=$(median slipway-cold); sw=$(median slipway-warm); kc=$(median skopeo-cold); kw=$(median skopeo-warm); st=$(median startup)
r1=$(ratio "$sc" "$kc"); r2=$(ratio "$sw" "$sc"); r3=$(ratio "$sw" "$kw")
size=$(du -sb "$layout/etcd/blobs" | cut -f1)
{
	printf '| push example index (etcd, amd64+arm64, %s MB), fresh registry, wall | %.2f s | skopeo copy --all from an OCI layout | %.2f s | %s | ≤ 1.0: %s |\n' \
		"$((size / 1000000))" "$sc" "$kc" "$r1" "$(verdict "$r1" 1.0)"
	printf '| push again, nothing changed, wall | %.3f s | slipway cold push (row above) | %.2f s | %s | ≤ 0.1: %s |\n' \
		"$sw" "$sc" "$r2" "$(verdict "$r2" 0.1)"
	printf '| push again, nothing changed, vs skopeo warm (for reference) | %.3f s | skopeo copy again | %.3f s | %s | — |\n' \
		"$sw" "$kw" "$r3"
	printf '| of which process start (`slipway version`, for reference) | %.3f s | slipway cold push | %.3f s | %s | — |\n' \
		"$st" "$sc" "$(ratio "$st" "$sc")"
} >"$bench/images-rows.md"
printf '| figure | slipway | peer | peer value | ratio | target |\n|---|---:|---|---:|---:|---|\n'
cat "$bench/images-rows.md"
