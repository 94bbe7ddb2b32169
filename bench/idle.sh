#!/usr/bin/env bash
# Idle cost of the headless app: 10 projects of 5,000 files each, no
# changes, for SECONDS (default 60). Prints CPU time used and peak RSS.
set -euo pipefail
seconds=${1:-60}
root=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$root"' EXIT
cd "$(dirname "$0")/.."
go build -o "$root/nixpass" ./app
export NIXPASS_CONFIG=$root/config.toml NIXPASS_STATE_DIR=$root/state
for p in $(seq 1 10); do
	for d in $(seq 1 50); do
		mkdir -p "$root/p$p/d$d"
		for f in $(seq 1 100); do : >"$root/p$p/d$d/f$f"; done
	done
	"$root/nixpass" add "$root/p$p" >/dev/null
done
"$root/nixpass" app --headless >/dev/null 2>&1 &
pid=$!
sleep 3 # start-up: walking 50,000 files
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
sleep "$seconds"
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
hz=$(getconf CLK_TCK)
cpu=$(( (u1 + s1 - u0 - s0) * 1000 / hz ))
rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "idle ${seconds}s with 10 projects x 5000 files: cpu ${cpu} ms ($(awk "BEGIN {printf \"%.3f\", $cpu / ($seconds * 10)}")% of one core), peak RSS $((rss / 1024)) MiB"
