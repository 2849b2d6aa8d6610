# quiet.sh: sourced by every bench script (which define log): waiting for a
# quiet machine, and the ratio and verdict of a table row.
#
# Other processes competing for the CPUs cap a parallel build far more than
# a sequential one (with the kernel's autogroup scheduling, another busy
# session leaves this one a single CPU), so every measurement waits for a
# quiet machine first (up to BENCH_QUIET_WAIT seconds, default 60) and
# records how many CPUs other processes used meanwhile; the tables take
# the medians of the quiet measurements (others < 0.25 CPUs).
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
quiet_wait=${BENCH_QUIET_WAIT:-60}
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
wait_quiet() {
	local deadline=$((SECONDS + quiet_wait)) b0 b1
	while :; do
		b0=$(busy)
		sleep 1
		b1=$(busy)
		[ $((b1 - b0)) -lt $((hz / 5)) ] && return 0
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "machine still busy after ${quiet_wait}s (others use $(awk -v b=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.1f", b / hz }') CPUs); measuring anyway"
			return 0
		fi
	done
}

# ratio A B: A / B with four decimals; verdict RATIO TARGET: met or NOT met.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "NOT met") }'; }
