#!/usr/bin/env bash
# Cost of building for the other architecture through qemu-user: the
# offline image with a CPU-bound step (busybox gzip -9 of WORK MiB,
# default 64) built by nixpass natively and as aarch64-linux (x86_64-linux
# on an arm64 host), N times each (default 3), each a fresh derivation.
# Prints the median wall time of each and the ratio.
# Needs: Nix, busybox-static, a static busybox of the other architecture
# (NIXPASS_CI_BUSYBOX_ARM64, default /var/lib/nixpass-ci/busybox-arm64/bin/busybox)
# and its qemu-user binfmt handler with the F flag (sudo .ci/setup).
set -euo pipefail
runs=${1:-3}
work=${2:-64}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cd "$(dirname "$0")/.."
go build -o "$root/nixpass" ./app
export NIXPASS_CONFIG=$root/config.toml NIXPASS_STATE_DIR=$root/state NIX_CONFIG='substituters ='
printf '[builder]\nbackend = "local"\n' >"$root/config.toml"
case $(uname -m) in
x86_64) other=aarch64-linux; bb_other=${NIXPASS_CI_BUSYBOX_ARM64:-/var/lib/nixpass-ci/busybox-arm64/bin/busybox} ;;
*) echo "bench/emulation.sh: run it on an x86_64 host" >&2; exit 1 ;;
esac
bb_native=/usr/bin/busybox
[ -x "$bb_native" ] || bb_native=/bin/busybox
prepare="\"\$bb\" dd if=/dev/zero bs=1M count=$work 2>/dev/null | \"\$bb\" gzip -9 | \"\$bb\" sha256sum >&2"

measure() { # NAME BUSYBOX [SYSTEM]
	local dir=$root/$1 i ms=()
	mkdir -p "$dir"
	cp examples/offline/image.nix examples/offline/build-image.sh "$dir/"
	if [ -n "${3:-}" ]; then
		"$root/nixpass" add "$dir" --system "$3" >/dev/null
	else
		"$root/nixpass" add "$dir" >/dev/null
	fi
	for i in $(seq 1 "$runs"); do
		printf 'import ./image.nix { busybox = %s; tag = "bench"; message = "%s %s"; prepare = %s; }\n' \
			"$2" "$1" "$(date +%s%N)" "$(printf '%s' "$prepare" | sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/"/; s/\$/\\$/g')" >"$dir/default.nix"
		out=$("$root/nixpass" build "$dir" --json 2>/dev/null) || { echo "bench/emulation.sh: the $1 build failed:" >&2; echo "$out" >&2; exit 1; }
		printf '%s\n' "$out" | awk -F': ' '/"duration_ms"/ {gsub(/,/, "", $2); print $2}' >>"$dir/ms"
	done
	sort -n "$dir/ms" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}

native=$(measure native "$bb_native")
emulated=$(measure emulated "$bb_other" "$other")
echo "image build with gzip -9 of ${work} MiB, median of ${runs}: native $(uname -m) ${native} ms, ${other} through qemu-user ${emulated} ms, $(awk "BEGIN {printf \"%.1f\", $emulated / $native}")x slower"
