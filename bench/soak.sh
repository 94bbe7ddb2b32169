#!/usr/bin/env bash
# Soak the headless app: N rebuilds (default 300) of the offline example,
# each triggered by a change to default.nix (alternating two tags, so
# every build copies an image). Every 50 builds it prints the app's RSS,
# open fds and threads, the temporary files in the project and the app's
# child processes; at the end it fails if a build failed, a temporary
# file is left, a child process leaked, or history.jsonl lost records.
# A leak is a child of the app still there, with the same PID, at two
# samples 5 s apart (a short check the app runs is not one).
#
#   bench/soak.sh [N]        (needs nix-build and busybox-static)
#
# SOAK_PLANT_LEAK=1 starts the app with a child it never reaps (a sleep
# started before exec), so a test can see the soak fail on a leak.
set -euo pipefail
n=${1:-300}
root=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$root"
}
trap cleanup EXIT
cd "$(dirname "$0")/.."
command -v nix-build >/dev/null || { echo "soak needs Nix: sudo apt-get install nix-bin busybox-static" >&2; exit 1; }
go build -o "$root/nixpass" ./app
export NIXPASS_CONFIG=$root/config.toml NIXPASS_STATE_DIR=$root/state NIX_CONFIG="substituters ="
proj=$root/soak
mkdir -p "$proj"
cp examples/offline/image.nix examples/offline/build-image.sh "$proj/"
nixfile() { printf 'import ./image.nix { tag = "soak-%s"; }\n' "$1" >"$proj/default.nix"; }
nixfile 0
printf '[scheduler]\nquiet = "100ms"\nmax_wait = "1s"\n' >"$NIXPASS_CONFIG"
"$root/nixpass" add "$proj" >/dev/null
if [ "${SOAK_PLANT_LEAK:-}" = 1 ]; then
	sh -c 'sleep 600 & exec "$@"' sh "$root/nixpass" app --headless --json >"$root/events" 2>"$root/stderr" &
else
	"$root/nixpass" app --headless --json >"$root/events" 2>"$root/stderr" &
fi
pid=$!
for _ in $(seq 1 100); do grep -q BuilderChanged "$root/events" 2>/dev/null && break; sleep 0.1; done

finished() { grep -c '"type":"BuildFinished"' "$root/events" || true; }
failed() { grep '"type":"BuildFinished"' "$root/events" | grep -vc '"status":"succeeded"' || true; }
children() { pgrep -P "$pid" | wc -l; }
# leaked lists the app's children present at two samples 5 s apart.
leaked() {
	local a b
	a=$(pgrep -P "$pid" | sort || true)
	sleep 5
	b=$(pgrep -P "$pid" | sort || true)
	[ -n "$a" ] && [ -n "$b" ] && comm -12 <(echo "$a") <(echo "$b") || true
}
temps() { find "$proj" -name '*.nixpass-tmp.*' | wc -l; }
report() {
	local rss fds threads
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	threads=$(awk '/Threads/ {print $2}' "/proc/$pid/status")
	fds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
	printf 'build %4d: RSS %5d KiB  fds %3d  threads %3d  temp files %d  children %d  failed %d\n' \
		"$1" "$rss" "$fds" "$threads" "$(temps)" "$(children)" "$(failed)"
}

start=$(date +%s)
for i in $(seq 1 "$n"); do
	nixfile $((i % 2 + 1))
	deadline=$((SECONDS + 120))
	while [ "$(finished)" -lt "$i" ]; do
		if [ $SECONDS -gt $deadline ]; then
			echo "build $i did not finish within 120 s" >&2
			tail -n 20 "$root/stderr" >&2
			exit 1
		fi
		sleep 0.05
	done
	# Let the scheduler settle so the next change is a build of its own.
	sleep 0.2
	if [ $((i % 50)) -eq 0 ] || [ "$i" -eq "$n" ]; then report "$i"; fi
done
elapsed=$(($(date +%s) - start))
extra=$(($(finished) - n))
hist=$(wc -l <"$NIXPASS_STATE_DIR/history.jsonl")
echo "$n builds in ${elapsed}s; $extra extra builds (self-triggers); history.jsonl $hist lines"
status=0
[ "$(failed)" -eq 0 ] || { echo "FAIL: $(failed) builds failed" >&2; status=1; }
[ "$(temps)" -eq 0 ] || { echo "FAIL: temporary files left" >&2; status=1; }
leaks=$(leaked)
[ -z "$leaks" ] || { echo "FAIL: child processes leaked (same PID 5 s apart): $(for p in $leaks; do ps -o pid=,args= -p "$p"; done)" >&2; status=1; }
[ "$extra" -eq 0 ] || { echo "FAIL: builds the changes did not ask for" >&2; status=1; }
[ "$hist" -ge "$n" ] || { echo "FAIL: history has $hist records for $n builds" >&2; status=1; }
exit $status
