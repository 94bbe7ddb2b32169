#!/bin/sh
# link-cli.sh TARGET FALLBACK DIR...: link TARGET as "nixpass" into the
# first DIR that exists and is writable (make install passes /usr/local/bin,
# on macOS's default PATH through /etc/paths, and Homebrew's bin folder);
# when none is, link it into FALLBACK and print the exact line that puts
# FALLBACK on PATH, since a link nobody's PATH reaches is "command not
# found".
set -eu
target=$1
fallback=$2
shift 2
for d in "$@"; do
	[ -n "$d" ] || continue
	if [ -d "$d" ] && [ -w "$d" ]; then
		ln -sfn "$target" "$d/nixpass"
		echo "CLI linked at $d/nixpass"
		exit 0
	fi
done
mkdir -p "$fallback"
ln -sfn "$target" "$fallback/nixpass"
echo "CLI linked at $fallback/nixpass"
sh "$(dirname "$0")/path-hint.sh" "$fallback"
