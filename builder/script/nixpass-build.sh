#!/bin/sh
# nixpass-build: the one script nixpass runs on the builder machine (inside
# the Multipass VM, or on the Linux host for the local backend).
#
# Everything user-controlled (paths, attributes, --arg values) arrives as
# separate arguments and is only ever used as "$var" or "$@": this script
# never evaluates or splices its arguments into a command string.
#
# Usage:
#   nixpass-build build --token T --dir DIR --output NAME [--last STOREPATH]
#                       (--file FILE [--attr A] [--nix-arg X]... | --flake REF)
#                       [--nix-option NAME VALUE]...
#   nixpass-build cancel --token T
#   nixpass-build check
#
# Protocol: lines on stdout that start with "@nixpass " are for nixpass; the
# Nix log goes to stderr unchanged. Exit status: 0 success, 130 cancelled,
# 65 usage, 66 project folder missing, 69 Nix missing, 70 output is not a
# file, 71 copy failed, 72 disk full while copying, otherwise Nix's status.
#
# Evidence of an OOM kill, readable without root (the builder may run under
# nix-daemon, and kernel.dmesg_restrict hides the kernel log from users):
#   @nixpass oom-count before|after COUNT FILE  an OOM-kill counter read
#       before nix starts and after it fails: /proc/vmstat (every OOM kill on
#       the machine), and memory.events (cgroup v2) or memory.oom_control
#       (v1) of the memory cgroups this script and every nix-daemon run in
#       (the daemon's workers fork the builders, so builds run in its cgroup)
#   @nixpass mem-limit BYTES DIR   the memory limit of cgroup DIR (its own or
#       an ancestor's, whichever is lower; v1: hierarchical_memory_limit)
#   @nixpass mem-total BYTES       the machine's RAM (MemTotal)
#   @nixpass kmsg-read SOURCE      which kernel log could be read: dmesg,
#       sudo dmesg, journalctl -k, or none
#   @nixpass kmsg LINE             an OOM-killer line of that log
# A flake build ends with @nixpass nix-json JSON, what `nix build --json`
# printed (all Nix versions have it; --print-out-paths came with 2.11).

set -u
umask 022

say() { printf '@nixpass %s\n' "$*"; }

rundir() {
	d="${XDG_RUNTIME_DIR:-/tmp}/nixpass-$(id -u)"
	mkdir -p "$d" 2>/dev/null && chmod 700 "$d" 2>/dev/null
	printf '%s' "$d"
}

# find_nix sets $nixbin to the directory holding nix-build. A non-login
# `multipass exec` has no Nix on PATH, so the profile paths come first.
find_nix() {
	for d in /nix/var/nix/profiles/default/bin "${HOME:-/nonexistent}/.nix-profile/bin" \
		/run/current-system/sw/bin /usr/bin /usr/local/bin; do
		if [ -x "$d/nix-build" ]; then
			nixbin=$d
			return 0
		fi
	done
	if p=$(command -v nix-build 2>/dev/null) && [ -n "$p" ]; then
		nixbin=$(dirname "$p")
		return 0
	fi
	return 1
}

# kernel_oom_lines reports which kernel log could be read and its OOM-killer
# lines. Root reads dmesg directly; the VM's default user has passwordless
# sudo; members of adm/systemd-journal may read the journal. The monotonic
# format keeps dmesg's "[seconds]" stamps, so old kills can be told apart.
kernel_oom_lines() {
	if log=$(dmesg 2>/dev/null); then
		src=dmesg
	elif log=$(sudo -n dmesg 2>/dev/null); then
		src="sudo dmesg"
	elif log=$(journalctl -k -b -q --no-pager -o short-monotonic 2>/dev/null) && [ -n "$log" ]; then
		src="journalctl -k"
	else
		say "kmsg-read none"
		return 0
	fi
	say "kmsg-read $src"
	printf '%s\n' "$log" | grep -E 'Killed process|out of memory' | tail -n 20 |
		while IFS= read -r line; do say "kmsg $line"; done
}

# cgroup_dirs_of PID prints the memory cgroup folders of process PID: the v2
# folder when it has memory.events, the v1 memory folder.
cgroup_dirs_of() {
	[ -r "/proc/$1/cgroup" ] || return 0
	while IFS=: read -r _ ctrl path; do
		case ",$ctrl," in
		,,)
			for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
				if [ -f "$m/cgroup.controllers" ]; then
					[ -f "$m$path/memory.events" ] && printf '%s\n' "$m$path"
					break
				fi
			done
			;;
		*,memory,*)
			[ -f "/sys/fs/cgroup/memory$path/memory.oom_control" ] && printf '%s\n' "/sys/fs/cgroup/memory$path"
			;;
		esac
	done <"/proc/$1/cgroup"
}

# build_cgroups prints, once each, the memory cgroups a build can run in:
# this script's (a local store: Nix forks the builder itself) and every
# nix-daemon's (a daemon's worker forks it).
build_cgroups() {
	{
		cgroup_dirs_of $$
		for p in /proc/[0-9]*; do
			c=""
			{ read -r c <"$p/comm"; } 2>/dev/null || continue
			[ "$c" = nix-daemon ] && cgroup_dirs_of "${p#/proc/}"
		done
	} | sort -u
}

# oom_counts PHASE reports every OOM-kill counter this user can read.
oom_counts() {
	n=$(sed -n 's/^oom_kill //p' /proc/vmstat 2>/dev/null)
	[ -n "$n" ] && say "oom-count $1 $n /proc/vmstat"
	printf '%s\n' "$cgroups" | while IFS= read -r d; do
		[ -n "$d" ] || continue
		for f in "$d/memory.events" "$d/memory.oom_control"; do
			n=$(sed -n 's/^oom_kill //p' "$f" 2>/dev/null)
			[ -n "$n" ] && say "oom-count $1 $n $f"
		done
	done
}

# mem_limits reports the memory limit of each build cgroup and the RAM.
mem_limits() {
	n=$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo 2>/dev/null)
	[ -n "$n" ] && say "mem-total $((n * 1024))"
	printf '%s\n' "$cgroups" | while IFS= read -r d; do
		[ -n "$d" ] || continue
		if [ -f "$d/memory.stat" ] && [ -f "$d/memory.oom_control" ]; then
			lim=$(sed -n 's/^hierarchical_memory_limit //p' "$d/memory.stat" 2>/dev/null)
		else
			lim="" e=$d
			while [ -f "$e/memory.max" ]; do
				v=$(cat "$e/memory.max" 2>/dev/null)
				case "$v" in
				'' | *[!0-9]*) ;;
				*) if [ -z "$lim" ] || [ "$v" -lt "$lim" ]; then lim=$v; fi ;;
				esac
				e=${e%/*}
			done
		fi
		case "$lim" in '' | *[!0-9]*) continue ;; esac
		say "mem-limit $lim $d"
	done
}

uptime_secs() { cut -d' ' -f1 /proc/uptime 2>/dev/null || echo 0; }

cmd_check() {
	if ! find_nix; then
		say "error nix-missing no nix-build found in the Nix profiles or on PATH"
		exit 69
	fi
	say "nix $("$nixbin/nix-build" --version 2>/dev/null | head -n 1)"
	exit 0
}

cmd_cancel() {
	token=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--token) token=$2; shift 2 ;;
		*) echo "nixpass-build: unknown argument: $1" >&2; exit 65 ;;
		esac
	done
	pidfile="$(rundir)/$token.pid"
	[ -f "$pidfile" ] || exit 0
	pid=$(cat "$pidfile")
	case "$pid" in '' | *[!0-9]*) exit 0 ;; esac
	kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	i=0
	while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL -"$pid" 2>/dev/null
	exit 0
}

cmd_build() {
	token="" dir="" output="" last="" file="" attr="" flake=""
	# Extra Nix arguments are kept in "$@" itself: the loop rotates every
	# argument to the end and keeps only the --nix-arg values.
	n=$#
	while [ $n -gt 0 ]; do
		case "$1" in
		--token) token=$2; shift 2; n=$((n - 2)) ;;
		--dir) dir=$2; shift 2; n=$((n - 2)) ;;
		--output) output=$2; shift 2; n=$((n - 2)) ;;
		--last) last=$2; shift 2; n=$((n - 2)) ;;
		--file) file=$2; shift 2; n=$((n - 2)) ;;
		--attr) attr=$2; shift 2; n=$((n - 2)) ;;
		--flake) flake=$2; shift 2; n=$((n - 2)) ;;
		--nix-arg) set -- "$@" "$2"; shift 2; n=$((n - 2)) ;;
		--nix-option) set -- "$@" --option "$2" "$3"; shift 3; n=$((n - 3)) ;;
		*) echo "nixpass-build: unknown argument: $1" >&2; exit 65 ;;
		esac
	done
	if [ -z "$token" ] || [ -z "$dir" ] || [ -z "$output" ]; then
		echo "nixpass-build: --token, --dir and --output are required" >&2
		exit 65
	fi

	rd=$(rundir)
	pidfile="$rd/$token.pid"
	tmp="$dir/.$output.nixpass-tmp.$token"
	echo $$ >"$pidfile"
	say "pid $$"
	say "uptime $(uptime_secs)"
	trap 'rm -f -- "$tmp" "$pidfile"' EXIT
	trap 'say "cancelled"; exit 130' INT TERM HUP

	if ! cd -- "$dir" 2>/dev/null; then
		say "error dir-missing the project folder is not reachable on the builder: $dir"
		exit 66
	fi
	if ! find_nix; then
		say "error nix-missing no nix-build found in the Nix profiles or on PATH"
		exit 69
	fi

	cgroups=$(build_cgroups)
	oom_counts before
	say "phase evaluating"
	if [ -n "$flake" ]; then
		out=$("$nixbin/nix" --extra-experimental-features 'nix-command flakes' \
			build --no-link --json "$flake" "$@")
	elif [ -n "$attr" ]; then
		out=$("$nixbin/nix-build" --no-out-link "$file" -A "$attr" "$@")
	else
		out=$("$nixbin/nix-build" --no-out-link "$file" "$@")
	fi
	status=$?
	if [ $status -ne 0 ]; then
		if [ $status -gt 128 ]; then
			say "signal $((status - 128))"
		fi
		oom_counts after
		mem_limits
		kernel_oom_lines
		exit $status
	fi
	if [ -n "$flake" ]; then
		# [{"drvPath":"…","outputs":{"out":"/nix/store/…"}},…]: the image is
		# the first installable's "out" (or its first output). Store paths
		# hold no quotes or backslashes, so sed can take them apart.
		say "nix-json $(printf '%s' "$out" | tr -d '\n')"
		outs=$(printf '%s' "$out" | tr -d '\n' | sed -n 's/^[^{]*{[^}]*"outputs":{\([^}]*\)}.*/\1/p')
		store=$(printf '%s' "$outs" | sed -n 's/.*"out":"\([^"]*\)".*/\1/p')
		[ -n "$store" ] || store=$(printf '%s' "$outs" | sed -n 's/^"[^"]*":"\([^"]*\)".*/\1/p')
	else
		# nix-build prints one store path per output; the image is the first.
		store=$(printf '%s\n' "$out" | head -n 1)
	fi
	say "store-path $store"
	if [ ! -f "$store" ]; then
		say "error not-a-file the build output is not a file: $store"
		exit 70
	fi

	if [ -n "$last" ] && [ "$store" = "$last" ] && [ -f "$output" ] &&
		[ "$(wc -c <"$store")" = "$(wc -c <"$output")" ]; then
		say "up-to-date"
		exit 0
	fi

	say "phase copying"
	# Copy to a temporary name in the same folder, then rename: readers
	# (docker load, the last good image) never see a partial file.
	if ! err=$(cp -- "$store" "$tmp" 2>&1); then
		case "$err" in
		*"No space left"*) say "error disk-full $err"; exit 72 ;;
		esac
		say "error copy-failed $err"
		exit 71
	fi
	chmod 644 -- "$tmp" 2>/dev/null
	if ! err=$(mv -f -- "$tmp" "$output" 2>&1); then
		say "error copy-failed $err"
		exit 71
	fi
	say "copied $(wc -c <"$output")"
	exit 0
}

# Become a process-group leader so that `cancel` can stop the whole build
# (nix-build and everything it started) with one signal. The local backend
# starts us in our own group already and sets NIXPASS_LEADER.
if [ "${NIXPASS_LEADER:-}" != 1 ] && [ "${1:-}" = build ] && command -v setsid >/dev/null 2>&1; then
	NIXPASS_LEADER=1 exec setsid -w sh "$0" "$@"
fi

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
build) cmd_build "$@" ;;
cancel) cmd_cancel "$@" ;;
check) cmd_check ;;
*) echo "usage: nixpass-build build|cancel|check ..." >&2; exit 65 ;;
esac
