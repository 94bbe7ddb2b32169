#!/usr/bin/env bash
# pairs.sh: time two commands in interleaved pairs (A B A B …) and print
# each one's median and the median, min and max of the per-pair ratio A/B:
# a pair runs close together in time, so the ratio holds when the
# machine's speed drifts. Sourced by the benchmarks in bench/.
#
#   pairs N LABEL_A LABEL_B   runs the functions run_a and run_b N times each,
#                             after one warm-up of each

# now_us sets t to the wall clock in microseconds, from bash's own
# EPOCHREALTIME: no process is started to read it.
now_us() { t=${EPOCHREALTIME/[.,]/}; }

pairs() {
	local n=$1 la=$2 lb=$3 i t t0 a b
	local -a as=() bs=() rs=()
	run_a >/dev/null 2>&1 || true
	run_b >/dev/null 2>&1 || true
	for ((i = 0; i < n; i++)); do
		now_us; t0=$t; run_a >/dev/null 2>&1 || true; now_us; a=$((t - t0))
		now_us; t0=$t; run_b >/dev/null 2>&1 || true; now_us; b=$((t - t0))
		as+=("$a") bs+=("$b")
		rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.4f", a / b}')")
	done
	local ma mb
	ma=$(printf '%s\n' "${as[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	mb=$(printf '%s\n' "${bs[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	printf '%s\n' "${rs[@]}" | sort -n | awk -v la="$la" -v lb="$lb" -v n="$n" -v ma="$ma" -v mb="$mb" '
		{v[NR]=$1}
		END {printf "%-34s median %7.1f ms\n%-34s median %7.1f ms\n  ratio %s / %s over %d interleaved pairs: median %.2fx (min %.2fx, max %.2fx)\n",
			la, ma/1000, lb, mb/1000, la, lb, n, v[int((NR+1)/2)], v[1], v[NR]}'
}
