#!/usr/bin/env bash
# bench/pki.sh: PKI and Ignition generation for a 3 control-plane + 100
# worker cluster, against kubeadm's certificate set made with openssl
# commands in a sequential shell loop (bench/pki/openssl-loop.sh), for
# RSA-2048 (the default) and ECDSA-P256 keys.
#
#   slipway: bin/slipway ignition generate -f CLUSTER --pki-dir EMPTY -o OUT
#            (pki init: 3 CAs, sa key, the control-plane leaves and
#            kubeconfigs per control-plane node, admin.conf,
#            super-admin.conf, kubelet.conf for all 103 nodes; then 103
#            Ignition configs)
#   peer:    bench/pki/openssl-loop.sh: the same certificates (same key
#            type, subjects, SANs, key usages, extended key usages), one
#            genrsa/ecparam, req and x509 -req per certificate, kubeconfigs
#            written with base64 and a heredoc
#
# Before timing, one untimed run of each side is compared certificate by
# certificate (same files; same subject, issuer, key algorithm and size,
# signature algorithm, key usage, extended key usage, basic constraints,
# SANs; kubeconfigs: same server, user and client certificate properties).
# Then both sides run alternating, BENCH_RUNS times (default 3), each after
# waiting for a quiet machine (BENCH_QUIET_WAIT seconds, default 60), under
# GNU time (wall, user+sys, maximum resident set size; for the loop, the
# largest single openssl process, for slipway the whole process).
#
# Writes, under BENCH_DIR (default build/bench): pki/ (cluster documents,
# outputs), pki-times.txt (every measurement), pki-rows.md (table rows in
# bench/run.sh's format) and pki-notes.md. Prints the rows and notes.
# Prerequisite: make build.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
bench=${BENCH_DIR:-build/bench}
mkdir -p "$bench/pki"
bench=$(cd "$bench" && pwd)
work=$bench/pki
log() { echo "bench/pki: $*" >&2; }
die() { echo "bench/pki: $*" >&2; exit 1; }

[ -x bin/slipway ] || die "bin/slipway is missing: run make build"
command -v openssl >/dev/null || die "openssl is missing"
gnutime=/usr/bin/time
if ! "$gnutime" -f %M true >/dev/null 2>&1; then
	log "installing GNU time (Debian's time package)"
	{ sudo -n apt-get install -y time || apt-get install -y time; } >/dev/null 2>&1 || die "GNU time (/usr/bin/time) is missing: apt-get install time"
fi
ossl_version=$(openssl version | awk '{print $2}')

# --- the cluster: 3 control-plane nodes behind a DNS endpoint, 100 workers ---
endpoint=cp.bench.internal:6443
cluster=bench
ncp=3
nworkers=100
nodes=$work/nodes.txt
{
	for i in $(seq 1 $ncp); do echo "cp$i control-plane 10.0.0.$((10 + i))"; done
	for i in $(seq 1 $nworkers); do echo "worker$i worker 10.0.$((1 + i / 200)).$((i % 200 + 20))"; done
} >"$nodes"
for alg in RSA-2048 ECDSA-P256; do
	{
		cat <<DOC
apiVersion: slipway.dev/v1alpha1
kind: Cluster
metadata:
  name: $cluster
spec:
  kubernetesVersion: 1.33.0
  controlPlaneEndpoint: $endpoint
  pki:
    keyAlgorithm: $alg
  nodes:
DOC
		while read -r n r a; do printf '    - name: %s\n      role: %s\n      address: %s\n' "$n" "$r" "$a"; done <"$nodes"
	} >"$work/cluster-$alg.yaml"
done

# --- the commands measured ---------------------------------------------------
slipway_run() { # ALG
	bin/slipway ignition generate -f "$work/cluster-$1.yaml" --pki-dir "$work/slipway-pki-$1" -o "$work/slipway-ign-$1" \
		>/dev/null 2>"$work/slipway.log"
}
slipway_clean() { rm -rf "$work/slipway-pki-$1" "$work/slipway-ign-$1"; mkdir -p "$work/slipway-pki-$1"; sync; }
openssl_run() { bench/pki/openssl-loop.sh "$1" "$nodes" "$work/openssl-pki-$1" "$endpoint" "$cluster" 2>"$work/openssl.log"; }
openssl_clean() { rm -rf "$work/openssl-pki-$1"; mkdir -p "$work/openssl-pki-$1"; sync; }

# --- equivalence --------------------------------------------------------------
# sig FILE: the properties compared, of a certificate or of a kubeconfig's
# client certificate (plus its server, user and key type).
sig() {
	local f=$1
	case $f in
	*.conf) grep 'client-certificate-data:' "$f" | awk '{print $2}' | base64 -d ;;
	*) cat "$f" ;;
	esac | openssl x509 -noout -subject -issuer -text |
		awk '/Public Key Algorithm|Public-Key:|ASN1 OID|Signature Algorithm/ { print; next }
			/^(subject|issuer)=/ { print; next }
			/X509v3 (Key Usage|Extended Key Usage|Basic Constraints|Subject Alternative Name)/ { print; getline; print }' | sort -u
	case $f in
	*.conf) grep -E 'server:|user:' "$f"; grep 'client-key-data:' "$f" | awk '{print $2}' | base64 -d | head -1 ;;
	esac
}
keytype() { head -1 "$1"; }
check() { # ALG: compares the two sides' outputs; prints "N certificates"
	local a=$1 s=$work/slipway-pki-$1 o=$work/openssl-pki-$1 f n=0
	diff <(cd "$s" && find . -type f | sort) <(cd "$o" && find . -type f | sort) >&2 ||
		die "$a: slipway and the openssl loop wrote different files"
	for f in $(cd "$s" && find . -name '*.crt' -o -name '*.conf' | sort); do
		diff <(sig "$s/$f") <(sig "$o/$f") >&2 || die "$a: $f differs"
		n=$((n + 1))
	done
	for f in $(cd "$s" && find . -name '*.key' | sort); do
		[ "$(keytype "$s/$f")" = "$(keytype "$o/$f")" ] || die "$a: $f: $(keytype "$s/$f") vs $(keytype "$o/$f")"
	done
	[ "$(openssl pkey -pubin -in "$s/sa.pub" -noout -text | sed -n 1p)" = "$(openssl pkey -pubin -in "$o/sa.pub" -noout -text | sed -n 1p)" ] ||
		die "$a: sa.pub differs in type"
	echo "$n"
}
declare -A ncerts
for alg in RSA-2048 ECDSA-P256; do
	log "$alg: checking equivalence (one untimed run each)"
	slipway_clean "$alg"
	slipway_run "$alg" || die "slipway ignition generate failed: $(cat "$work/slipway.log")"
	openssl_clean "$alg"
	openssl_run "$alg" || die "openssl loop failed: $(tail -5 "$work/openssl.log")"
	ncerts[$alg]=$(check "$alg")
	nign=$(find "$work/slipway-ign-$alg" -name '*.ign' | wc -l)
	[ "$nign" -eq $((ncp + nworkers)) ] || die "$alg: slipway wrote $nign Ignition configs, not $((ncp + nworkers))"
	log "$alg: ${ncerts[$alg]} certificates (kubeconfigs included) equivalent; slipway also wrote $nign Ignition configs"
done

. bench/quiet.sh # cwd is the repository root

# measure NAME CMD...: appends "NAME wall cpu maxrss-KB others" to $times.
times=$bench/pki-times.txt
measure() {
	local name=$1 b0 b1 real user sys rss cpu others
	shift
	wait_quiet
	b0=$(busy)
	"$gnutime" -f '%e %U %S %M' -o "$work/time.txt" "$@" || die "$name failed: $(tail -5 "$work/time.txt")"
	b1=$(busy)
	read -r real user sys rss <"$work/time.txt"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
	others=$(awk -v b=$((b1 - b0)) -v hz="$hz" -v c="$cpu" -v w="$real" \
		'BEGIN { f = (b / hz - c) / (w > 0 ? w : 1); printf "%.2f", f < 0 ? 0 : f }')
	echo "$name $real $cpu $rss $others" >>"$times"
	log "$(printf '%-18s %7.2fs wall %7.2fs cpu %7.1f MB max RSS   others used %s CPUs' "$name" "$real" "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$others")"
}
export -f slipway_run openssl_run
export work nodes endpoint cluster

: >"$times"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 1 "$runs"); do
	for alg in RSA-2048 ECDSA-P256; do
		log "run $i of $runs, $alg"
		slipway_clean "$alg"
		measure "slipway-$alg" bash -c 'slipway_run "$0"' "$alg"
		openssl_clean "$alg"
		measure "openssl-$alg" bash -c 'openssl_run "$0"' "$alg"
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

quiet() {
	if awk -v n="$1" '$1 == n && $5 < 0.25 { f = 1 } END { exit !f }' "$times"; then
		awk -v n="$1" '$1 == n && $5 < 0.25' "$times"
	else
		awk -v n="$1" '$1 == n' "$times"
	fi
}
median() {
	quiet "$1" | awk -v c="$2" '{ print $c }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
basis() {
	local n k
	n=$(awk -v n="$1" '$1 == n' "$times" | wc -l)
	k=$(awk -v n="$1" '$1 == n && $5 < 0.25' "$times" | wc -l)
	if [ "$k" -gt 0 ]; then echo "$k quiet of $n runs"; else echo "NO quiet run of $n: machine busy, figure not meaningful"; fi
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

nodes_total=$((ncp + nworkers))
{
	for alg in RSA-2048 ECDSA-P256; do
		s=$(median "slipway-$alg" 2) p=$(median "openssl-$alg" 2) r=$(ratio "$s" "$p")
		printf '| PKI + Ignition, %d+%d nodes (%d certificates), %s, wall | %.2f s | openssl %s CLI loop, sequential (key, req, x509 -req per certificate) | %.2f s | %.3f | ≤ 0.60: %s |\n' \
			"$ncp" "$nworkers" "${ncerts[$alg]}" "$alg" "$s" "$ossl_version" "$p" "$r" "$(verdict "$r" 0.60)"
	done
	for alg in RSA-2048 ECDSA-P256; do
		s=$(median "slipway-$alg" 4) p=$(median "openssl-$alg" 4)
		printf '| PKI + Ignition, %s, peak memory (max RSS; for reference) | %s MB | openssl loop: its largest process | %s MB | %.3f | — |\n' \
			"$alg" "$(mb "$s")" "$(mb "$p")" "$(ratio "$s" "$p")"
	done
} >"$bench/pki-rows.md"
{
	echo "PKI rows: medians of alternating runs on a quiet machine: slipway RSA-2048 $(basis slipway-RSA-2048), ECDSA-P256 $(basis slipway-ECDSA-P256); openssl RSA-2048 $(basis openssl-RSA-2048), ECDSA-P256 $(basis openssl-ECDSA-P256). Load average $load_before before, $load_after after."
	for alg in RSA-2048 ECDSA-P256; do
		awk -v a="$alg" -v sc="$(median "slipway-$alg" 3)" -v sw="$(median "slipway-$alg" 2)" -v pc="$(median "openssl-$alg" 3)" -v n="$(nproc)" -v p="$(median "openssl-$alg" 2)" 'BEGIN {
			printf "%s: slipway CPU time %.2f s (%.2f of %d CPUs busy), the openssl loop %.2f s; with all %d CPUs busy slipway'"'"'s CPU time allows a ratio of %.3f at best.\n", a, sc, sc / sw, n, pc, n, sc / n / p }'
	done
	echo "Outputs compared before timing: the same ${ncerts[RSA-2048]} certificates and kubeconfigs per key type, with the same subject, issuer, key type and size, signature algorithm, key usage, extended key usage, basic constraints and SANs; slipway's time also includes writing $nodes_total Ignition configs, which the loop does not do."
} >"$bench/pki-notes.md"
cat "$bench/pki-rows.md"
echo
cat "$bench/pki-notes.md"
