#!/usr/bin/env bash
# noop.sh [PAIRS]: what a rebuild where nothing changed costs, against the
# bare tool. Prints, from PAIRS interleaved pairs each (default 20):
#   - `nixpass build DIR` of an up-to-date project vs `nix-build --no-out-link`
#     of the same file (the local backend; the goal is at most 1.25x)
#   - what a real build pays for deciding up to date without the lock: the
#     extra `nix-build --max-jobs 0` evaluation of a changed project, against
#     the evaluation of the up-to-date one
#   - `nixpass version` vs /bin/true (start-up; the goal is at most 3x)
#   - the full nixpass's start-up (`nixpass-full version`), which every
#     other verb pays, and the app pays once
# Needs Nix and busybox-static, as `make run` does. A benchmark prints
# figures; it does not pass or fail.
set -euo pipefail
n=${1:-20}
cd "$(dirname "$0")/.."
. bench/pairs.sh
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# As make build lays it out: the lean front that users run, and the full
# nixpass it hands everything but a no-op and `version` to.
go build -o "$root/nixpass-full" ./app
CGO_ENABLED=0 go build -o "$root/nixpass" ./app/fast
export NIXPASS_CONFIG=$root/config.toml NIXPASS_STATE_DIR=$root/state
# Offline and the same for both: no binary cache lookups.
export NIX_CONFIG=$'substituters =\n'
cp -r examples/offline "$root/project"
"$root/nixpass" add "$root/project" >/dev/null
"$root/nixpass" build "$root/project" >/dev/null 2>&1

echo "no-op rebuild, local backend ($(nix-build --version)), $(nproc) cores"
run_a() { "$root/nixpass" build "$root/project"; }
run_b() { nix-build --no-out-link "$root/project/default.nix"; }
pairs "$n" "nixpass build (up to date)" "nix-build --no-out-link"

echo
echo "the extra evaluation a changed project's build pays (nix-build --max-jobs 0, before the lock)"
mkdir -p "$root/changed"
cp "$root/project/image.nix" "$root/project/build-image.sh" "$root/changed/"
# A tag never built: --max-jobs 0 evaluates, finds it missing and stops.
printf 'import ./image.nix { tag = "bench-changed-%s"; }\n' "$(date +%s%N)" >"$root/changed/default.nix"
run_a() { nix-build --no-out-link --max-jobs 0 "$root/changed/default.nix"; }
run_b() { nix-build --no-out-link "$root/project/default.nix"; }
pairs "$n" "nix-build --max-jobs 0 (changed)" "nix-build --no-out-link (up to date)"

echo
echo "start-up"
run_a() { "$root/nixpass" version; }
run_b() { /bin/true; }
pairs "$n" "nixpass version" "/bin/true"
run_a() { "$root/nixpass-full" version; }
pairs "$n" "nixpass-full version" "/bin/true"
