#!/usr/bin/env bash
# capture-remote-failures.sh: record what Nix prints when a remote builder
# cannot be used, on Nix 2.8 (this host), 2.26 (trixie root) and 2.34 (sid
# root), into builder/testdata/nix/remote/VERSION-CASE.txt, with the exit
# statuses in exits.txt. The tests of builder/remotefail.go read these.
#
# Cases: refused (nothing listens), dns (a name that does not resolve),
# publickey (the builder rejects the key), nonix-ng / nonix-ssh (no Nix on
# the remote PATH, ssh-ng:// and ssh://), ok (built remotely), fallback
# (max-jobs 1 and the builder down: Nix builds locally).
#
# Needs root, .ci/setup and .ci/remote-builder.sh. Usage:
#   sudo .ci/capture-remote-failures.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=${1:-$repo/builder/testdata/nix/remote}
rb=/var/lib/nixpass-ci/remote-builder
roots=/var/lib/nixpass-ci/roots
[ -f "$rb/client_key" ] || { echo "run .ci/remote-builder.sh first" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d /tmp/nixpass-capture.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)); }
port=$(freeport); nonix=$(freeport); closed=$(freeport)
cp "$rb/client_key" "$rb/wrong_key" "$work/"
chmod 0600 "$work/client_key" "$work/wrong_key"
mkdir -p "$work/bin" && cp /usr/bin/ssh "$work/bin/ssh"
cp -r examples/offline "$work/proj"
hostkey=$(cut -d' ' -f1-2 "$rb/host_key.pub")
printf '[127.0.0.1]:%s %s\n[127.0.0.1]:%s %s\n' "$port" "$hostkey" "$nonix" "$hostkey" >"$work/known_hosts"
sshd_conf() { # PORT EXTRA...
	printf 'ListenAddress 127.0.0.1\nPort %s\nHostKey %s\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowUsers nixpass-rb\n' "$1" "$rb/host_key"
	shift
	for l in "$@"; do printf '%s\n' "$l"; done
}
sshd_conf "$port" >"$work/sshd_config"
# SetEnv is applied after sshd's default PATH: no Nix for this one.
sshd_conf "$nonix" "SetEnv PATH=/nonexistent" >"$work/sshd_config_nonix"
mkdir -p /run/sshd
/usr/sbin/sshd -f "$work/sshd_config" -D -e 2>"$work/sshd.log" & pids+=($!)
/usr/sbin/sshd -f "$work/sshd_config_nonix" -D -e 2>"$work/sshd-nonix.log" & pids+=($!)
host() { printf 'Host %s\n  HostName 127.0.0.1\n  Port %s\n  User nixpass-rb\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n' "$1" "$2" "$work/known_hosts"; }
{ host nixpass-builder "$port"; host nixpass-nonix "$nonix"; host nixpass-down "$closed"; } >"$work/ssh_config"
sleep 0.5

: >"$out/exits.txt.new"
# one VERSION RUNNER... : runs every case with the nix-build RUNNER gives.
one() {
	local ver=$1; shift
	local c uri key jobs
	for c in refused dns publickey nonix-ng nonix-ssh ok fallback; do
		key=$work/client_key jobs=0
		case $c in
		refused) uri=ssh-ng://nixpass-down ;;
		dns) uri=ssh-ng://nixpass-builder.invalid ;;
		publickey) uri=ssh-ng://nixpass-builder key=$work/wrong_key ;;
		nonix-ng) uri=ssh-ng://nixpass-nonix ;;
		nonix-ssh) uri=ssh://nixpass-nonix ;;
		ok) uri=ssh-ng://nixpass-builder ;;
		fallback) uri=ssh-ng://nixpass-down jobs=1 ;;
		esac
		set +e
		"$@" env PATH="$work/bin:/usr/sbin:/usr/bin:/sbin:/bin" NIX_SSHOPTS="-F $work/ssh_config" NIX_CONFIG="substituters =" \
			sh -c 'cd "$1" && exec nix-build --no-out-link default.nix --argstr tag "$2" --max-jobs "$3" --builders "$4 x86_64-linux $5 1 1 - - -"' \
			sh "$work/proj" "capture-$c-$RANDOM$RANDOM" "$jobs" "$uri" "$key" >"$work/out" 2>"$work/err"
		code=$?
		set -e
		# The work folder's random name would make every capture differ.
		sed "s#$work#/tmp/nixpass-capture#g" "$work/err" >"$out/$ver-$c.txt"
		echo "$ver-$c $code" >>"$out/exits.txt.new"
		echo "$ver $c: exit $code"
	done
}
one 2.8
for r in trixie:2.26 sid:2.34; do
	one "${r#*:}" .ci/in-root --bind "$work" "$roots/${r%%:*}"
done
mv "$out/exits.txt.new" "$out/exits.txt"
