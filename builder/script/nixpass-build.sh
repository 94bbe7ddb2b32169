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
#                       [--lifeline]
#                       (--file FILE [--attr A] [--nix-arg X]... | --flake REF)
#   nixpass-build cancel --token T
#   nixpass-build check
#
# Protocol: lines on stdout that start with "@nixpass " are for nixpass; the
# Nix log goes to stderr unchanged. Exit status: 0 success, 130 cancelled,
# 65 usage, 66 project folder missing, 69 Nix missing, 70 output is not a
# file, 71 copy failed, 72 disk full while copying, otherwise Nix's status.

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

kernel_oom_lines() {
	# The kernel log is the only witness of an OOM kill. Root reads it
	# directly; the VM's default user has passwordless sudo.
	{ dmesg 2>/dev/null || sudo -n dmesg 2>/dev/null; } | grep -E 'Killed process|out of memory' | tail -n 20
}

# Process lifetime. A build must never outlive the nixpass that started
# it, and builds on one machine never overlap:
#   - with --lifeline, standard input is a pipe only nixpass writes to (in
#     the VM: the `multipass exec` session's input). It reaches end of file
#     when nixpass or the session dies, however they die; the watcher then
#     stops the build's whole process group (we lead it: see the end).
#   - builds are serialized by a lock in the run folder, held on fd 9 by
#     this shell and everything it starts, so the lock ends only when the
#     last process of the build has exited. The local backend also hands
#     us nixpass's own build lock (fd 3 and up), for the same reason.
#   - pid files left by a build that was killed outright are removed by
#     the next build.

# lifeline_watch PGID starts the watcher on the saved standard input (fd 8)
# and a heartbeat: a line on stdout every 5 s, which fails once nobody
# reads it (and makes a `multipass exec` client whose nixpass is gone
# fail too, ending the session), so the build also stops when only the
# output side of the session is gone. The heartbeat ends with the script.
lifeline_watch() {
	(
		trap - INT TERM HUP EXIT
		while IFS= read -r _; do :; done
		kill -TERM -"$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
	) <&8 >/dev/null 2>&1 8<&- 3<&- 4<&- 9<&- &
	watcher=$!
	(
		trap - INT TERM HUP EXIT
		trap '' PIPE
		while sleep 5 >/dev/null 2>&1 && kill -0 "$1" 2>/dev/null; do
			if ! printf '@nixpass alive\n' 2>/dev/null; then
				kill -TERM -"$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
				exit 0
			fi
		done
	) </dev/null 2>/dev/null 8<&- 3<&- 4<&- 9<&- &
	heartbeat=$!
}

# build_lock takes the machine-wide build lock on fd 9, waiting for a
# build in progress (or one being stopped) to end.
build_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	exec 9>>"$1/build.lock" || return 0
	if ! flock -n 9; then
		say "phase waiting"
		flock 9
	fi
}

# clean_pidfiles removes pid files of builds that are gone: their process
# is dead, or its pid now belongs to something that is not this script
# (so `cancel` can never signal a stranger that reused the pid).
clean_pidfiles() {
	for f in "$1"/*.pid; do
		[ -f "$f" ] && [ "$f" != "$2" ] || continue
		p=$(cat "$f" 2>/dev/null)
		case "$p" in '' | *[!0-9]*) rm -f -- "$f"; continue ;; esac
		if ! kill -0 "$p" 2>/dev/null; then
			rm -f -- "$f"
		elif [ -r "/proc/$p/cmdline" ] && ! tr '\0' ' ' <"/proc/$p/cmdline" | grep -q nixpass-build; then
			rm -f -- "$f"
		fi
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
	token="" dir="" output="" last="" file="" attr="" flake="" lifeline="" watcher="" heartbeat=""
	# Extra Nix arguments are kept in "$@" itself: the loop rotates every
	# argument to the end and keeps only the --nix-arg values.
	n=$#
	while [ $n -gt 0 ]; do
		case "$1" in
		--token) token=$2; shift 2; n=$((n - 2)) ;;
		--dir) dir=$2; shift 2; n=$((n - 2)) ;;
		--output) output=$2; shift 2; n=$((n - 2)) ;;
		--last) last=$2; shift 2; n=$((n - 2)) ;;
		--lifeline) lifeline=1; shift; n=$((n - 1)) ;;
		--file) file=$2; shift 2; n=$((n - 2)) ;;
		--attr) attr=$2; shift 2; n=$((n - 2)) ;;
		--flake) flake=$2; shift 2; n=$((n - 2)) ;;
		--nix-arg) set -- "$@" "$2"; shift 2; n=$((n - 2)) ;;
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
	# The EXIT trap also stops the watcher; the signal trap ignores
	# SIGPIPE first: with nixpass gone, saying "cancelled" on a broken
	# stdout must not kill us before the EXIT trap cleans up.
	trap 'kill $watcher $heartbeat 2>/dev/null; rm -f -- "$tmp" "$pidfile"' EXIT
	trap 'trap "" PIPE; say "cancelled"; exit 130' INT TERM HUP
	if [ -n "$lifeline" ]; then
		exec 8<&0 </dev/null
		lifeline_watch $$
		exec 8<&-
	fi
	build_lock "$rd"
	clean_pidfiles "$rd" "$pidfile"

	if ! cd -- "$dir" 2>/dev/null; then
		say "error dir-missing the project folder is not reachable on the builder: $dir"
		exit 66
	fi
	if ! find_nix; then
		say "error nix-missing no nix-build found in the Nix profiles or on PATH"
		exit 69
	fi

	say "phase evaluating"
	if [ -n "$flake" ]; then
		out=$("$nixbin/nix" --extra-experimental-features 'nix-command flakes' \
			build --no-link --print-out-paths "$flake" "$@")
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
		kernel_oom_lines | while IFS= read -r line; do say "kmsg $line"; done
		exit $status
	fi
	# nix prints one store path per output; the image is the first.
	store=$(printf '%s\n' "$out" | head -n 1)
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
