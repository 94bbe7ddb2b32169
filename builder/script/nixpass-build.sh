#!/bin/sh
# nixpass-build: the one script nixpass runs on the builder machine (inside
# the Multipass VM, or on the Linux host for the local backend).
#
# Everything user-controlled (paths, attributes, --arg values) arrives as
# separate arguments and is only ever used as "$var" or "$@": this script
# never evaluates or splices its arguments into a command string.
#
# Usage:
#   nixpass-build build --token T --dir DIR --output NAME [--last STOREPATH
#                       [--last-size BYTES]] [--system SYSTEM] [--lifeline] [--checked]
#                       [--max-jobs N] [--cores N]
#                       [--also SYSTEM LAST SIZE ROOTNAME]...
#                       [--root LINK [--drop KEY]...]
#                       [--min-free BYTES --max-free BYTES [--collect]]
#                       (--file FILE [--attr A] [--nix-arg X]... | --flake REF)
#   nixpass-build upload --token T --path STOREPATH --upload [--upload-deps] [--lifeline]
#                       (the VM: the team cache's upload as its own step,
#                       after docker load and push; target, key file,
#                       mode and key on stdin)
#   nixpass-build drv --dir DIR [--system SYSTEM]
#                     (--file FILE [--attr A] [--nix-arg X]... | --flake REF)
#   nixpass-build cancel --token T
#   nixpass-build gc [--drop KEY]...   collect all garbage; roots in "roots"
#                                       beside this script are kept
#   nixpass-build check
#   nixpass-build setup-emulation SYSTEM...   (as root)
#
# Nix settings (remote builders, substituters: values that may hold a
# token) never come as arguments: nixpass puts them in NIX_CONFIG, which
# Nix 2.8 and later read, after any value the caller already had. No
# setting is ever on this script's or Nix's command line.
#
# Protocol: lines on stdout that start with "@nixpass " are for nixpass; the
# Nix log goes to stderr unchanged. Exit status: 0 success, 130 cancelled,
# 65 usage, 66 project folder missing, 69 Nix missing, 70 output is not a
# file (or a symlink out of the store), 71 copy failed, 72 disk full while
# copying, 75 no emulation for --system on this builder, 77 the run folder
# is unsafe (not this user's private folder), otherwise Nix's status.
#
# The run folder, "run" beside this script (the same path for `build` and
# for `cancel`, which may run in another session), holds the build lock and
# the pid files. It is made private (mkdir -m 700); one that exists must be
# a folder, not a symlink, owned by this user and mode 700, or the script
# stops with status 77: another user could otherwise plant symlinks or pid
# files in it. Files are created in it, and the temporary image in the
# project, exclusively (set -C).
# `check` exits 1 with Nix's own error on stderr when the store cannot be
# used (no daemon, a socket the user may not open, no build users).
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
#   @nixpass kmsg LINE             an OOM-killer line of that log (the
#       kernel's "oom-kill:" line, with task_memcg, pid and uid, and its
#       "Killed process" line)
#   @nixpass uptime SECONDS / uptime-end SECONDS  the build's time window,
#       read just before nix starts and just after it ends
#   @nixpass cgroup self|daemon DIR  the memory cgroup this script runs in,
#       and each nix-daemon's: the kills nixpass may attribute to the build
#   @nixpass build-uids UID...     the build users (the nixbld group)
#   @nixpass user-uid UID          the user running the build
#   @nixpass pool UID PID mine|other CGROUP  a build user's lock in Nix's user pool
#       (/nix/var/nix/userpool, seen in /proc/locks, sampled every second)
#       and the process holding it: "mine" is this build's own nix (root
#       without a daemon), "other" a daemon worker or another nix; CGROUP
#       is the holder's memory cgroup ("-" unknown)
#   @nixpass nix-lock FILE PID START VIA CMD  a Nix lock (a store path's
#       PATH.lock, or gc.lock) held by a process not of this build: PID,
#       start (seconds since the epoch), command line; a nix-daemon
#       worker's client, VIA being the worker ("-" otherwise). Sampled each
#       second while Nix runs, said once per holder.
#   @nixpass nix-jobs MAXJOBS CORES  Nix's effective max-jobs and cores
#       (cores 0 and max-jobs auto read as the CPU count), after a failure
#   @nixpass kmsg LINE             an OOM-killer line of that log
#
# Free space (issue 18): with --min-free, before evaluating, the store's
# free space is read (df); below min-free (or always, with --collect: the
# retry of a build that ran out of disk) garbage is collected until
# max-free is free, inside this same process: no extra session.
#   @nixpass disk-free BYTES           free space on the store's disk (and
#       again after a failed build)
#   @nixpass gc-freed BYTES FREE       what a collection freed, free after
# --root LINK is the output's garbage-collector root: nix-build --out-link
# makes LINK an indirect root, so the project's last output survives every
# collection. Each --drop KEY removes the roots KEY-* beside LINK: projects
# removed from nixpass.
# Team cache (issue 24): the upload verb signs and copies a store path's
# closure to the cache from this machine's store (the VM's: it holds the
# closure), as a step of its own after nixpass has loaded and pushed the
# image, and without the build lock: the next build does not wait for
# it. What to upload arrives on standard input, before the lifeline, one
# line each: the target store URL (secret-key already pointing at the
# key file), the key file's path (this run's "$pidfile.key", checked),
# "sign" (ssh stores: sign the paths in the store first) or "copy", and
# the secret key itself. The key is written, 0600 in the private run
# folder, only for the upload and removed right after it, by the EXIT
# trap, or by the next build or upload after a kill (clean_pidfiles); it
# is never an argument, never echoed. An ssh store is reached with the
# ssh settings in "ssh/config" beside this script (NIX_SSHOPTS=-F), which
# nixpass vm setup copies. nixpass runs no upload at all when the path's
# upload to this cache is recorded already. --upload-deps adds the
# build-time closure, kept by a garbage-collector root in the run folder
# until the upload ends.
#   @nixpass upload-start          the upload begins
#   @nixpass upload-deps           the build-time closure went too
#   @nixpass uploaded PATHS BYTES  it worked: what nix copy copied
#   @nixpass upload-failed STATUS  it failed (the build did not), and
#   @nixpass upload-err LINE       the last lines Nix said
# Evaluation and build are two steps, so that a build says what it builds
# before building it (joining, store/running.go):
#   @nixpass drv DRV...   the derivations the project evaluated to
#       (nix-instantiate, or `nix path-info --derivation` for a flake),
#       which nix-build then builds, whatever the files say by then
# `drv` is the same evaluation read-only (nothing is written to the store,
# nothing is built, no lock is taken): another nixpass asks it when this
# project is being built, to know whether that build is the one it wants.
# --also SYSTEM LAST SIZE ROOTNAME (systems = [...], issue 23): another
# system of the project, whose last image nixpass wrote from store path
# LAST and keeps, SIZE bytes, in the host's state folder; ROOTNAME is its
# root, a plain name beside --root's LINK. Only when this build finds its
# own output up to date (a no-op), it then asks Nix, in this same run, for
# each such system's output with --max-jobs 0 and no remote builders
# (found or substituted, never built) and says
#   @nixpass system-check SYSTEM up-to-date|changed|unknown STOREPATH|-
# up-to-date: still LAST (a file of SIZE bytes, or a streamed image);
# unknown: Nix could not tell without building (its log is not kept: the
# system's own run, which nixpass starts next, shows it). A no-op of a
# project of several systems is then one session, not one per system; a
# build that changed is not checked, as its other systems most likely
# changed too and would be evaluated twice.
#
# The build never replaces the output itself: it writes the image to a
# temporary file in the project folder, reports it ("@nixpass temp NAME")
# and leaves it for nixpass to rename on the host, where rename is atomic
# (over Multipass's SFTP mount a rename is remove-then-rename).

set -u
umask 022

say() { printf '@nixpass %s\n' "$*"; }

# The folder this script is installed in, absolute: the run folder lives
# there, found the same way by every verb whatever the working folder.
scriptdir=$(cd -- "$(dirname -- "$0")" 2>/dev/null && pwd -P) || scriptdir=""

# rundir sets $rd to the run folder, making it private if it is missing,
# or exits 77 when the one there is not this user's private folder.
rundir() {
	rd=$scriptdir/run
	if [ -z "$scriptdir" ]; then
		say "error run-dir-unsafe - - cannot find the folder of the build script $0"
		exit 77
	fi
	[ -e "$rd" ] || [ -L "$rd" ] || mkdir -m 700 -- "$rd" 2>/dev/null
	info=$(ls -ld -- "$rd" 2>/dev/null)
	perms=${info%% *}
	owner=$(printf '%s\n' "$info" | awk '{print $3; exit}')
	if [ -L "$rd" ] || [ ! -d "$rd" ] || [ ! -O "$rd" ] || [ "${perms%.}" != drwx------ ]; then
		say "error run-dir-unsafe ${owner:--} ${perms:--} $rd"
		exit 77
	fi
}

# is_build PID TOKEN succeeds while process PID is this script building
# TOKEN: its command line holds this script's path and "--token TOKEN".
# A pid file can outlive its build, and the pid be reused by a stranger.
is_build() {
	[ -r "/proc/$1/cmdline" ] || return 1
	tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | NIXPASS_S=$0 NIXPASS_T=$2 awk '
		$0 == ENVIRON["NIXPASS_S"] { s = 1 }
		tok && $0 == ENVIRON["NIXPASS_T"] { t = 1 }
		{ tok = ($0 == "--token") }
		END { exit !(s && t) }'
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
	printf '%s\n' "$log" | grep -E 'oom-kill:|Killed process|out of memory' | tail -n 60 |
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
		cgroup_dirs_of $$ | sed 's/^/self /'
		for p in /proc/[0-9]*; do
			c=""
			{ read -r c <"$p/comm"; } 2>/dev/null || continue
			[ "$c" = nix-daemon ] && cgroup_dirs_of "${p#/proc/}" | sed 's/^/daemon /'
		done
	} | sort -u
}

# pool_holders prints "UID PID mine|other" for each build user whose lock in
# Nix's user pool is held (/proc/locks names the lock's inode and holder):
# a build is using that user. "mine" when the holder is in this script's
# process group (our own nix, as root without a daemon).
pool_holders() {
	NIXPASS_POOL=$(ls -i /nix/var/nix/userpool 2>/dev/null) || return 0
	[ -n "$NIXPASS_POOL" ] || return 0
	export NIXPASS_POOL
	awk 'BEGIN { n = split(ENVIRON["NIXPASS_POOL"], l, "\n")
			for (i = 1; i <= n; i++) { split(l[i], f, " "); ino[f[1]] = f[2] } }
		$2 != "->" && $3 == "ADVISORY" { k = split($6, d, ":"); if (d[k] in ino) print ino[d[k]], $5 }' /proc/locks 2>/dev/null |
		sort -u | while read -r uid pid; do
			pg=$(sed 's/.*) [A-Za-z] [0-9]* \([0-9]*\) .*/\1/' "/proc/$pid/stat" 2>/dev/null)
			w=other
			[ "$pg" = "$$" ] && w=mine
			cg=$(cgroup_dirs_of "$pid" | head -n 1)
			printf '%s %s %s %s\n' "$uid" "$pid" "$w" "${cg:--}"
		done
}

# held_locks prints "INODE PID" for each exclusive flock(2) lock held (not
# waited for) on this machine: /proc/locks, readable by every user. Nix
# locks a store path P it builds or substitutes with P.lock, and a
# collection with gc.lock; another Nix wanting one polls for it (no
# waiter shows there), saying "waiting for lock on 'P'".
held_locks() {
	awk '$2 == "FLOCK" && $4 == "WRITE" && $5 > 0 { n = split($6, d, ":"); print d[n], $5 }' /proc/locks 2>/dev/null | sort -u
}

# pgid_of PID prints the process group of process PID.
pgid_of() { sed 's/.*) [A-Za-z] [0-9]* \([0-9]*\) .*/\1/' "/proc/$1/stat" 2>/dev/null; }

# nix_lock_holders LOCKS (held_locks's lines) prints "FILE PID START VIA
# CMD" for each of them that is a Nix lock (a store path's PATH.lock, or
# gc.lock) held by a process that is not this build's: PID the holder,
# START when it started (seconds since the epoch), CMD its command line. A
# nix-daemon worker is named by its client, whose PID Nix writes into the
# worker's argv[1]; VIA is then the worker's PID, else "-". Only /proc and
# the store's lock files are read: nothing here comes from the build's
# arguments.
nix_lock_holders() {
	[ -n "$1" ] || return 0
	tck=$(getconf CLK_TCK 2>/dev/null) || tck=100
	btime=$(awk '$1 == "btime" { print $2 }' /proc/stat 2>/dev/null)
	ls -id /nix/var/nix/gc.lock /nix/store/*.lock 2>/dev/null | NIXPASS_LOCKS=$1 awk '
		BEGIN { n = split(ENVIRON["NIXPASS_LOCKS"], l, "\n")
			for (i = 1; i <= n; i++) { split(l[i], f, " "); h[f[1]] = f[2] } }
		($1 in h) { print $2, h[$1] }' | while read -r file pid; do
		via=-
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nix-daemon ]; then
			c=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 2p)
			case "$c" in
			'' | *[!0-9]*) ;;
			*) [ -r "/proc/$c/cmdline" ] && via=$pid pid=$c ;;
			esac
		fi
		[ "$(pgid_of "$pid")" = "$$" ] && continue
		start=$(awk -v tck="${tck:-100}" -v bt="${btime:-0}" '{ sub(/.*\) /, ""); print bt + int($20 / tck) }' "/proc/$pid/stat" 2>/dev/null)
		cmd=$(tr '\0\n' '  ' <"/proc/$pid/cmdline" 2>/dev/null)
		printf '%s %s %s %s %s\n' "$file" "$pid" "${start:-0}" "$via" "$cmd"
	done
}

# pool_watch FILE samples the user pool every second into FILE until it is
# stopped ($pooler): a build through the same store at the same time shows
# there, even one that starts and ends while ours runs. In the same loop
# it says on stdout (fd 6) what other processes hold Nix's locks, when
# that changes: Nix itself only says "waiting for lock on …", and nixpass
# names the holder from this within a second, inside this same session.
pool_watch() {
	(
		trap - INT HUP EXIT
		# As the heartbeat's: the sleep is waited for, so the TERM that
		# stops the sampler ends its sleep too, and nothing outlives it.
		s="" seen="" said=""
		trap 'kill $s 2>/dev/null; exit 0' TERM
		while :; do
			pool_holders
			h=$(held_locks)
			if [ "$h" != "$seen" ]; then
				seen=$h
				n=$(nix_lock_holders "$h")
				if [ "$n" != "$said" ]; then
					printf '%s\n' "$n" | while IFS= read -r l; do
						[ -n "$l" ] && case "$said" in *"$l"*) ;; *) say "nix-lock $l" ;; esac
					done >&6
					said=$n
				fi
			fi
			sleep 1 &
			s=$!
			wait $s || break
		done
	) 6>&1 >>"$1" </dev/null 2>/dev/null 8<&- 3<&- 4<&- 9<&- &
	pooler=$!
}

# build_ids reports the build users' and this user's uids.
build_ids() {
	ids=""
	members=$(getent group nixbld 2>/dev/null | cut -d: -f4 | tr ',' ' ')
	for u in $members; do
		i=$(id -u "$u" 2>/dev/null) && ids="$ids $i"
	done
	[ -n "$ids" ] && say "build-uids${ids}"
	say "user-uid $(id -u)"
}

# nix_jobs reports Nix's effective max-jobs and cores (0 and auto: the
# CPU count), for the next attempt after an OOM kill.
nix_jobs() {
	conf=$("$nixbin/nix" --extra-experimental-features nix-command config show 2>/dev/null) ||
		conf=$("$nixbin/nix" --extra-experimental-features nix-command show-config 2>/dev/null) || return 0
	j=$(printf '%s\n' "$conf" | sed -n 's/^max-jobs = //p')
	c=$(printf '%s\n' "$conf" | sed -n 's/^cores = //p')
	n=$(nproc 2>/dev/null || echo 1)
	case "$j" in auto) j=$n ;; '' | *[!0-9]*) return 0 ;; esac
	case "$c" in 0) c=$n ;; '' | *[!0-9]*) return 0 ;; esac
	say "nix-jobs $j $c"
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
		trap - INT HUP EXIT
		trap '' PIPE
		# The sleep runs in the background and is waited for, so the TERM
		# the EXIT trap sends interrupts the wait and ends the sleep too:
		# nothing of the build outlives it (a plain sleep would, by up to
		# 5 s, re-parented to PID 1).
		s=""
		trap 'kill $s 2>/dev/null; exit 0' TERM
		while :; do
			sleep 5 >/dev/null 2>&1 &
			s=$!
			wait $s || break
			kill -0 "$1" 2>/dev/null || break
			if ! printf '@nixpass alive\n' 2>/dev/null; then
				kill -TERM -"$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
				exit 0
			fi
		done
	) </dev/null 2>/dev/null 8<&- 3<&- 4<&- 9<&- &
	heartbeat=$!
}

# build_lock takes the machine-wide build lock on fd 9, waiting for a
# build in progress (or one being stopped) to end: "@nixpass lock-holder
# TEXT" says at once who holds it (what the holder wrote in build.holder).
build_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	# Private like every file in the run folder (umask 022 is the script's).
	umask 077
	exec 9>>"$1/build.lock" || { umask 022; return 0; }
	umask 022
	if ! flock -n 9; then
		# Who holds it, as its holder wrote it (below): said at once.
		h=$(cat -- "$1/build.holder" 2>/dev/null)
		say "lock-holder ${h:-}"
		flock 9
	fi
	umask 077
	printf 'PID %s, building %s since %s UTC\n' "$$" "$dir" "$(date -u +%H:%M:%S)" >|"$1/build.holder" 2>/dev/null
	umask 022
}

# clean_pidfiles removes pid files of builds that are gone: their process
# is dead, or its pid now belongs to something that is not this script
# building that token.
clean_pidfiles() {
	for f in "$1"/*.pid; do
		[ -f "$f" ] && [ "$f" != "$2" ] || continue
		p=$(cat "$f" 2>/dev/null)
		t=${f##*/}
		case "$p" in '' | *[!0-9]*) rm -f -- "$f"; continue ;; esac
		# .key: a secret key a killed build's upload left behind.
		is_build "$p" "${t%.pid}" || rm -f -- "$f" "$f.rc" "$f.err" "$f.pool" "$f.key" "$f.up" "$f.deps" "$f.deps"-* "$f".drv*
	done
}

# store_free prints the free bytes on the Nix store's disk, or nothing: the
# store NIX_REMOTE names when it is a local store with another root
# ("local?root=DIR" or "DIR": its files are under DIR), else /nix/store.
store_free() {
	sd=/nix/store
	case "${NIX_REMOTE:-}" in
	local\?*root=*)
		r=${NIX_REMOTE#*root=}
		sd=${r%%&*}/nix/store
		;;
	/*) sd=${NIX_REMOTE%%\?*}/nix/store ;;
	esac
	df -Pk -- "$sd" 2>/dev/null | awk 'NR == 2 && $4 ~ /^[0-9]+$/ { printf "%.0f\n", $4 * 1024 }'
}

# collect_until MAXFREE collects garbage until MAXFREE bytes are free (all
# of it, with an empty MAXFREE) and reports what it freed. Roots (every
# project's --root) are kept. Nix's output goes to the log.
collect_until() {
	before=$(store_free)
	if [ -n "$1" ] && [ -n "$before" ]; then
		want=$(($1 - before))
		[ "$want" -gt 0 ] || return 0
		"$nixbin/nix-store" --gc --max-freed "$want" >&2
	else
		"$nixbin/nix-store" --gc >&2
	fi
	gst=$?
	after=$(store_free)
	if [ -n "$before" ] && [ -n "$after" ]; then
		freed=$((after - before))
		[ "$freed" -ge 0 ] || freed=0
		say "gc-freed $freed $after"
	fi
	return $gst
}

# keep_free MINFREE MAXFREE FORCE collects until MAXFREE is free when less
# than MINFREE is (or always, with FORCE).
keep_free() {
	free=$(store_free)
	[ -n "$free" ] || return 0
	say "disk-free $free"
	if [ -n "$3" ] || [ "$free" -lt "$1" ]; then
		say "phase collecting"
		collect_until "$2" || say "gc-failed"
	fi
}

cmd_gc() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--drop)
			case "${2:-}" in '' | *[!0-9a-f]*) echo "nixpass-build: bad --drop: ${2:-}" >&2; exit 65 ;; esac
			[ -n "$scriptdir" ] && rm -f -- "$scriptdir/roots/$2"-*
			shift 2
			;;
		*) echo "nixpass-build: unknown argument: $1" >&2; exit 65 ;;
		esac
	done
	if ! find_nix; then
		say "error nix-missing no nix-build found in the Nix profiles or on PATH"
		exit 69
	fi
	collect_until ""
}

uptime_secs() { cut -d' ' -f1 /proc/uptime 2>/dev/null || echo 0; }

cmd_check() {
	if ! find_nix; then
		say "error nix-missing no nix-build found in the Nix profiles or on PATH"
		exit 69
	fi
	say "nix $("$nixbin/nix-build" --version 2>/dev/null | head -n 1)"
	# A real round trip to the store, through the daemon when Nix uses
	# one: --version alone says nothing about the daemon, its socket, the
	# store's permissions or the build users. builtins.toFile in
	# read-write mode writes one tiny fixed path (Nix 2.8 and later).
	if ! err=$("$nixbin/nix-instantiate" --read-write-mode --eval -E 'builtins.toFile "nixpass-check" "ok"' 2>&1 >/dev/null); then
		printf '%s\n' "$err" >&2
		exit 1
	fi
	case "$err" in
	*"specified in 'build-users-group' does not exist"*)
		# Nix only warns here; every build would fail with this error.
		printf '%s\n' "$err" | sed 's/^warning: \(the group .* does not exist\)$/error: \1/' >&2
		exit 1
		;;
	esac
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
	case "$token" in '' | *[!0-9a-zA-Z_-]*) echo "nixpass-build: bad --token: $token" >&2; exit 65 ;; esac
	rundir
	pidfile="$rd/$token.pid"
	[ -f "$pidfile" ] && [ ! -L "$pidfile" ] || exit 0
	pid=$(cat "$pidfile")
	case "$pid" in '' | *[!0-9]*) exit 0 ;; esac
	# Only while the pid is still this build: never a stranger's process.
	is_build "$pid" "$token" || exit 0
	kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	i=0
	while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	is_build "$pid" "$token" && kill -KILL -"$pid" 2>/dev/null
	exit 0
}

# instantiate ROOT [NIXARG]... sets $drvs to the derivations the project
# evaluates to ($file and $attr, or $flake), blank-separated, each as
# nix-build takes it (DRV, or DRV!OUTPUT for another output than out).
# With ROOT, the derivations are written to the store and ROOT (ROOT-2…)
# keeps them from the garbage collector until nix-build has run; with ""
# the evaluation is read-only: the paths are computed, nothing is written.
# Its status is Nix's.
instantiate() {
	r=$1
	shift
	if [ -n "$flake" ]; then
		# The flake goes last, after --: a value starting with - is an
		# installable, never an option.
		if [ -n "$r" ]; then
			drvs=$("$nixbin/nix" --extra-experimental-features 'nix-command flakes' path-info --derivation -- "$flake") || return
		else
			drvs=$("$nixbin/nix" --extra-experimental-features 'nix-command flakes' eval --read-only --raw --apply 'd: d.drvPath' -- "$flake") || return
		fi
		drvs=$(printf '%s\n' "$drvs" | tr '\n' ' ')
		drvs=${drvs% }
		return 0
	fi
	if [ -n "$r" ]; then
		set -- --add-root "$r" "$@"
	else
		set -- --readonly-mode "$@"
	fi
	if [ -n "$attr" ]; then
		drvs=$("$nixbin/nix-instantiate" "$@" "$file" -A "$attr") || return
	else
		drvs=$("$nixbin/nix-instantiate" "$@" "$file") || return
	fi
	[ -n "$r" ] || { drvs=$(printf '%s\n' "$drvs" | tr '\n' ' '); drvs=${drvs% }; return 0; }
	# With --add-root, nix-instantiate prints each root, not its target.
	list=""
	set -f
	for l in $drvs; do
		p=${l%%!*}
		d=$(readlink -- "$p" 2>/dev/null) || d=$p
		list="$list $d${l#"$p"}"
	done
	set +f
	drvs=${list# }
	return 0
}

# kept_output DRV prints DRV's output when it is the last good output
# (--last) and the project's root (--root) still points at it: the root
# keeps it in the store, so nix-build would only say it is there (the
# no-op budget: an up-to-date build runs one Nix process, as before the
# evaluation became its own step). Only a lone derivation whose first
# output is "out", read from the .drv file itself; anything else fails and
# nix-build decides.
kept_output() {
	[ -n "$last" ] && [ -n "$root" ] || return 1
	case "$1" in '' | *' '* | *'!'*) return 1 ;; esac
	[ "$(readlink -- "$root" 2>/dev/null)" = "$last" ] && [ -e "$last" ] || return 1
	o=$(head -c 4096 -- "$1" 2>/dev/null | sed -n 's/^Derive(\[("out","\([^"]*\)".*/\1/p')
	[ -n "$o" ] && [ "$o" = "$last" ] || return 1
	printf '%s\n' "$o"
}

cmd_drv() {
	dir="" file="" attr="" flake="" system=""
	n=$#
	while [ $n -gt 0 ]; do
		case "$1" in
		--dir) dir=$2; shift 2; n=$((n - 2)) ;;
		--file) file=$2; shift 2; n=$((n - 2)) ;;
		--attr) attr=$2; shift 2; n=$((n - 2)) ;;
		--flake) flake=$2; shift 2; n=$((n - 2)) ;;
		--system) system=$2; shift 2; n=$((n - 2)) ;;
		--nix-arg) set -- "$@" "$2"; shift 2; n=$((n - 2)) ;;
		*) echo "nixpass-build: unknown argument: $1" >&2; exit 65 ;;
		esac
	done
	if [ -z "$dir" ] || { [ -z "$file" ] && [ -z "$flake" ]; }; then
		echo "nixpass-build: --dir and --file or --flake are required" >&2
		exit 65
	fi
	case "$file" in '' | /*) ;; *) file=./$file ;; esac
	if ! cd -- "$dir" 2>/dev/null; then
		say "error dir-missing the project folder is not reachable on the builder: $dir"
		exit 66
	fi
	if ! find_nix; then
		say "error nix-missing no nix-build found in the Nix profiles or on PATH"
		exit 69
	fi
	[ -z "$system" ] || nix_setting system "$system"
	set -f
	instantiate "" "$@" || exit $?
	say "drv $drvs"
	exit 0
}

cmd_build() {
	token="" dir="" output="" last="" lastsize="" also="" file="" attr="" flake="" system="" lifeline="" checked="" watcher="" heartbeat="" pooler=""
	root="" minfree="" maxfree="" collect="" drops=""
	# Extra Nix arguments are kept in "$@" itself: the loop rotates every
	# argument to the end and keeps only the --nix-arg values.
	n=$#
	while [ $n -gt 0 ]; do
		case "$1" in
		--token) token=$2; shift 2; n=$((n - 2)) ;;
		--dir) dir=$2; shift 2; n=$((n - 2)) ;;
		--output) output=$2; shift 2; n=$((n - 2)) ;;
		--last) last=$2; shift 2; n=$((n - 2)) ;;
		--last-size)
			case "$2" in '' | *[!0-9]*) echo "nixpass-build: bad --last-size: $2" >&2; exit 65 ;; esac
			lastsize=$2; shift 2; n=$((n - 2)) ;;
		--also)
			# Every field is checked: the list is split on blanks later.
			if [ $n -lt 5 ]; then echo "nixpass-build: --also needs SYSTEM LAST SIZE ROOTNAME" >&2; exit 65; fi
			case "$2" in '' | *[!0-9a-z_-]*) echo "nixpass-build: bad --also system: $2" >&2; exit 65 ;; esac
			case "$3" in /*[!0-9A-Za-z+._/=?-]* | [!/]* | '') echo "nixpass-build: bad --also store path: $3" >&2; exit 65 ;; esac
			case "$4" in '' | *[!0-9]*) echo "nixpass-build: bad --also size: $4" >&2; exit 65 ;; esac
			case "$5" in '' | *[!0-9A-Za-z._-]* | . | ..) echo "nixpass-build: bad --also root name: $5" >&2; exit 65 ;; esac
			also="$also$2 $3 $4 $5
"
			shift 5; n=$((n - 5)) ;;
		--lifeline) lifeline=1; shift; n=$((n - 1)) ;;
		--checked) checked=1; shift; n=$((n - 1)) ;;
		--root) root=$2; shift 2; n=$((n - 2)) ;;
		--min-free) minfree=$2; shift 2; n=$((n - 2)) ;;
		--max-free) maxfree=$2; shift 2; n=$((n - 2)) ;;
		--collect) collect=1; shift; n=$((n - 1)) ;;
		--drop)
			case "$2" in '' | *[!0-9a-f]*) echo "nixpass-build: bad --drop: $2" >&2; exit 65 ;; esac
			drops="$drops $2"; shift 2; n=$((n - 2)) ;;
		--file) file=$2; shift 2; n=$((n - 2)) ;;
		--attr) attr=$2; shift 2; n=$((n - 2)) ;;
		--flake) flake=$2; shift 2; n=$((n - 2)) ;;
		--system) system=$2; shift 2; n=$((n - 2)) ;;
		--nix-arg) set -- "$@" "$2"; shift 2; n=$((n - 2)) ;;
		--max-jobs | --cores)
			case "$2" in '' | *[!0-9]*) echo "nixpass-build: bad $1: $2" >&2; exit 65 ;; esac
			set -- "$@" "$1" "$2"; shift 2; n=$((n - 2)) ;;
		*) echo "nixpass-build: unknown argument: $1" >&2; exit 65 ;;
		esac
	done
	if [ -z "$token" ] || [ -z "$dir" ] || [ -z "$output" ]; then
		echo "nixpass-build: --token, --dir and --output are required" >&2
		exit 65
	fi

	case "$token" in *[!0-9a-zA-Z_-]*) echo "nixpass-build: bad --token: $token" >&2; exit 65 ;; esac
	case "$minfree$maxfree" in *[!0-9]*) echo "nixpass-build: bad --min-free/--max-free" >&2; exit 65 ;; esac
	case "$root" in '' | /*) ;; *) echo "nixpass-build: --root must be absolute: $root" >&2; exit 65 ;; esac
	# A relative file is ./FILE: a project file named -E is a file to Nix,
	# not an option (nix-build has no --).
	case "$file" in '' | /*) ;; *) file=./$file ;; esac


	rundir
	pidfile="$rd/$token.pid"
	tmp="$dir/.$output.nixpass-tmp.$token"
	# From here on, > never writes into a file that is already there: the
	# pid files and the temporary image are new files or nothing.
	set -C
	if ! echo $$ >"$pidfile"; then
		say "error run-dir-unsafe - - $pidfile exists already"
		exit 77
	fi
	say "pid $$"
	say "uptime $(uptime_secs)"
	# The EXIT trap also stops the watcher and the heartbeat, and keeps
	# the temporary image once it is reported: nixpass renames it on the
	# host (or, if nixpass died, its next start removes it). The signal
	# trap ignores SIGPIPE first: with nixpass gone, saying "cancelled" on
	# a broken stdout must not kill us before the EXIT trap cleans up.
	keep_tmp="" tmp_mine=""
	trap 'set +f; kill $watcher $heartbeat $pooler 2>/dev/null; rm -f -- "$pidfile.key" "$pidfile.pool" "$pidfile.up" "$pidfile.deps" "$pidfile.deps"-* "$pidfile".drv*; [ -n "$keep_tmp" ] || [ -z "$tmp_mine" ] || rm -f -- "$tmp"; rm -f -- "$pidfile" "$pidfile.rc" "$pidfile.err"' EXIT
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
	# The check verb's logic, in a subshell so its exit ends only the
	# check: one round trip per build instead of a check and a build.
	# --checked: the caller has just run the check verb itself (the local
	# backend, for which a second process costs no round trip).
	[ -n "$checked" ] || (cmd_check) || exit $?
	if [ -n "$system" ]; then
		need_emulation "$system" || exit 75
		# Nix's own system setting: builtins.currentSystem follows, and
		# the derivations it makes are built for it (through binfmt).
		nix_setting system "$system"
		# Heeded from root and trusted users; a daemon needs it in its
		# own nix.conf (nixpass vm setup).
		[ "$(uname -m)" = "$cpu" ] || nix_setting extra-platforms "$system"
	fi

	if [ -n "$minfree" ] && [ -n "$maxfree" ]; then
		keep_free "$minfree" "$maxfree" "$collect"
	fi
	# The root's folder is nixpass's state folder: made private here.
	if [ -n "$root" ]; then
		mkdir -p -m 700 -- "${root%/*}" 2>/dev/null
		for k in $drops; do
			rm -f -- "${root%/*}/$k"-*
		done
		link_nb=--out-link
	else
		link_nb=--no-out-link
	fi

	labelled=$(build_cgroups)
	cgroups=$(printf '%s\n' "$labelled" | sed 's/^[a-z]* //' | sort -u)
	printf '%s\n' "$labelled" | while IFS= read -r c; do [ -n "$c" ] && say "cgroup $c"; done
	build_ids
	pool_holders >"$pidfile.pool"
	pool_watch "$pidfile.pool"
	oom_counts before
	say "uptime $(uptime_secs)"
	say "phase evaluating"
	# Evaluate once, say which derivations that gave (a second nixpass
	# joins this build only when it evaluates to the same ones: see
	# store/running.go), then build exactly those: a file changed after
	# this point is not half in this build.
	instantiate "$pidfile.drv" "$@"
	status=$?
	if [ $status -eq 0 ]; then
		say "drv $drvs"
		if out=$(kept_output "$drvs"); then
			: # Up to date: no second Nix process only to say so.
		else
			# Store paths hold no blanks: $drvs splits into its paths; set -f
			# keeps a ? or * in a derivation's name from being a pattern.
			set -f
			out=$("$nixbin/nix-build" "$link_nb" ${root:+"$root"} $drvs "$@")
			status=$?
			set +f
		fi
	fi
	if [ $status -ne 0 ]; then
		say "uptime-end $(uptime_secs)"
		pool_holders >>"$pidfile.pool"
	fi
	kill "$pooler" 2>/dev/null
	pooler=""
	if [ $status -ne 0 ]; then
		sort -u "$pidfile.pool" 2>/dev/null | while read -r l; do say "pool $l"; done
		if [ $status -gt 128 ]; then
			say "signal $((status - 128))"
		fi
		nix_jobs
		oom_counts after
		mem_limits
		kernel_oom_lines
		f=$(store_free)
		[ -n "$f" ] && say "disk-free $f"
		exit $status
	fi
	# nix-build prints one store path per output; the image is the first.
	store=$(printf '%s\n' "$out" | head -n 1)
	say "store-path $store"
	# Nothing is read before the output is known to be a file in the
	# store: a symlink out of it (to /etc/shadow, say) is refused.
	src=$store
	if [ -L "$store" ]; then
		src=$(readlink -f -- "$store" 2>/dev/null)
		case "$src" in
		"${store%/*}"/*) ;;
		*)
			say "error outside-store ${src:-?}"
			exit 70
			;;
		esac
	fi
	if [ ! -f "$src" ] || [ -L "$src" ]; then
		say "error not-a-file the build output is not a file: $store"
		exit 70
	fi
	# An executable output is a streamed image (streamLayeredImage,
	# streamNixShellImage): a program that writes the tarball to stdout.
	mode=copy
	[ -x "$src" ] && mode=stream

	# nixpass passes --last only when the output file is still the one it
	# wrote from that store path; a copy is also checked by size. An image
	# nixpass keeps out of the builder's reach (another system's, in the
	# host's state folder) comes with its size as --last-size.
	if [ -n "$last" ] && [ "$store" = "$last" ] && { [ -n "$lastsize" ] || [ -f "$output" ]; } &&
		{ [ $mode = stream ] || [ "$(wc -c <"$src")" = "${lastsize:-$(wc -c <"$output")}" ]; }; then
		say "up-to-date"
		# Read from a pipe: nothing in the loop reads stdin (Nix's get
		# /dev/null), and the fields hold no blanks (checked above).
		printf '%s' "$also" | while read -r s l z rn; do
			also_check "$s" "$l" "$z" "$rn" "$@" </dev/null
		done
		exit 0
	fi

	# The temporary image is private until nixpass has checked it; it
	# sets the final mode on the host, just before the rename.
	umask 077
	# In a subshell: sh exits on a failed redirection of ":" (a special
	# built-in), and the folder may be gone (deleted or renamed).
	if ! err=$( (: >"$tmp") 2>&1); then
		copy_failed "cannot create $tmp: ${err##*: }"
	fi
	tmp_mine=1
	if [ $mode = stream ]; then
		say "phase streaming"
		stream_image "$src" "$tmp" "$output" "$pidfile"
	else
		say "phase copying"
		copy_image "$src" "$tmp"
	fi
	keep_tmp=1
	say "temp ${tmp##*/}"
	say "copied $(wc -c <"$tmp")"
	exit 0
}

# cmd_upload is the VM's upload as a step of its own (issue 24: build,
# docker load, push, then upload): the closure of --path to the target
# the header names, with this key handling (stdin
# only, 0600 in the run folder, gone at exit and after a kill). It takes
# no build lock: the next build does not wait for it.
cmd_upload() {
	token="" upath="" upload="" updeps="" up_key="" lifeline=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--token) token=$2; shift 2 ;;
		--path) upath=$2; shift 2 ;;
		--upload) upload=1; shift ;;
		--upload-deps) updeps=1; shift ;;
		--lifeline) lifeline=1; shift ;;
		*) echo "nixpass-build: unknown argument: $1" >&2; exit 65 ;;
		esac
	done
	case "$token" in '' | *[!0-9a-zA-Z_-]*) echo "nixpass-build: bad --token: $token" >&2; exit 65 ;; esac
	case "$upath" in /*) ;; *) echo "nixpass-build: --path must be a store path: $upath" >&2; exit 65 ;; esac
	# One byte at a time (sh's read on a pipe): the lifeline after the
	# four lines stays unread.
	if [ -z "$upload" ] || ! { IFS= read -r up_target && IFS= read -r up_keyfile && IFS= read -r up_mode && IFS= read -r up_key; }; then
		echo "nixpass-build: upload needs --upload and the target, key file, mode and key on standard input" >&2
		exit 65
	fi
	rundir
	pidfile="$rd/$token.pid"
	if [ "$up_keyfile" != "$pidfile.key" ] || [ -z "$up_key" ]; then
		up_key=""
		echo "nixpass-build: upload: the key file must be $pidfile.key, and the key not empty" >&2
		exit 65
	fi
	set -C
	if ! echo $$ >"$pidfile"; then
		say "error run-dir-unsafe - - $pidfile exists already"
		exit 77
	fi
	say "pid $$"
	watcher="" heartbeat=""
	trap 'set +f; kill $watcher $heartbeat 2>/dev/null; rm -f -- "$pidfile.key" "$pidfile.up" "$pidfile.deps" "$pidfile.deps"-* "$pidfile"' EXIT
	trap 'trap "" PIPE; say "cancelled"; exit 130' INT TERM HUP
	if [ -n "$lifeline" ]; then
		exec 8<&0 </dev/null
		lifeline_watch $$
		exec 8<&-
	fi
	clean_pidfiles "$rd" "$pidfile"
	if ! find_nix; then
		say "error nix-missing no nix-build found in the Nix profiles or on PATH"
		exit 69
	fi
	cache_upload "$upath"
	exit 0
}

# store_of OUT is the image's store path in what Nix printed: for a
# flake, `nix build --json`'s [{"drvPath":"…","outputs":{"out":"/nix/store/…"}},…],
# the first installable's "out" (or its first output; store paths hold no
# quotes or backslashes, so sed can take them apart); for nix-build, which
# prints one store path per output, the first.
store_of() {
	if [ -n "$flake" ]; then
		outs=$(printf '%s' "$1" | tr -d '\n' | sed -n 's/^[^{]*{[^}]*"outputs":{\([^}]*\)}.*/\1/p')
		so=$(printf '%s' "$outs" | sed -n 's/.*"out":"\([^"]*\)".*/\1/p')
		[ -n "$so" ] || so=$(printf '%s' "$outs" | sed -n 's/^"[^"]*":"\([^"]*\)".*/\1/p')
		printf '%s\n' "$so"
	else
		printf '%s\n' "$1" | head -n 1
	fi
}

# also_check SYSTEM LAST SIZE ROOTNAME NIXARG... says whether SYSTEM's
# image is still LAST (see --also): Nix finds or substitutes its output
# with --max-jobs 0 (after the project's own --max-jobs) and no remote
# builders, so nothing is built and no emulation is needed. The output
# keeps its root, as the system's own build would.
also_check() {
	s=$1 l=$2 z=$3 rn=$4
	shift 4
	link="" link_fl=--no-link
	[ -n "$root" ] && link="${root%/*}/$rn" link_fl=--out-link
	ao=$(
		nix_setting system "$s"
		nix_setting builders ""
		if [ -n "$flake" ]; then
			"$nixbin/nix" --extra-experimental-features 'nix-command flakes' \
				build "$link_fl" ${link:+"$link"} --json "$@" --max-jobs 0 -- "$flake"
		elif [ -n "$attr" ]; then
			"$nixbin/nix-build" "$link_nb" ${link:+"$link"} "$file" -A "$attr" "$@" --max-jobs 0
		else
			"$nixbin/nix-build" "$link_nb" ${link:+"$link"} "$file" "$@" --max-jobs 0
		fi 2>/dev/null
	)
	ast=$?
	as=""
	[ $ast -eq 0 ] && as=$(store_of "$ao")
	if [ -z "$as" ]; then
		say "system-check $s unknown -"
		return
	fi
	v=changed
	if [ "$as" = "$l" ]; then
		src=$as
		[ -L "$as" ] && src=$(readlink -f -- "$as" 2>/dev/null)
		case "$src" in
		"${as%/*}"/*)
			if [ -f "$src" ] && [ ! -L "$src" ] && { [ -x "$src" ] || [ "$(wc -c <"$src")" = "$z" ]; }; then
				v=up-to-date
			fi
			;;
		esac
	fi
	say "system-check $s $v $as"
}

# cache_upload STORE uploads STORE's closure (and, with --upload-deps, its
# build-time closure) to the team cache (the upload verb). A failed upload is reported, never the
# build's failure: the image is built and in place.
cache_upload() {
	say "phase uploading"
	say "upload-start"
	set -- "$1"
	if [ -n "$updeps" ] && deps=$(upload_deps "$1"); then
		say "upload-deps"
		# Store paths hold no white space: split on it.
		# shellcheck disable=SC2086
		set -- "$@" $deps
	fi
	# The key: this user's alone (umask 077, a new file: set -C), in the
	# private run folder, for the length of the upload. printf is the
	# shell's own: the key is on no command line.
	umask 077
	if ! (printf '%s\n' "$up_key" >"$pidfile.key") 2>/dev/null; then
		up_key=""
		umask 022
		say "upload-failed 1"
		say "upload-err cannot write the signing key into the run folder $rd"
		return 0
	fi
	up_key=""
	umask 022
	ust=0
	# An ssh store: the ssh settings nixpass copied for it (vm setup),
	# the default user's own, beside this script.
	if [ "$up_mode" = sign ] && [ -f "$scriptdir/ssh/config" ]; then
		NIX_SSHOPTS="-F $scriptdir/ssh/config"
		export NIX_SSHOPTS
	fi
	if [ "$up_mode" = sign ]; then
		"$nixbin/nix" --extra-experimental-features nix-command store sign --key-file "$pidfile.key" --recursive -- "$@" 2>|"$pidfile.up" || ust=$?
	fi
	if [ $ust -eq 0 ]; then
		"$nixbin/nix" --extra-experimental-features nix-command copy --to "$up_target" -- "$@" 2>|"$pidfile.up" || ust=$?
	fi
	rm -f -- "$pidfile.key" "$pidfile.deps" "$pidfile.deps"-*
	cat -- "$pidfile.up" >&2 2>/dev/null
	if [ $ust -ne 0 ]; then
		say "upload-failed $ust"
		grep -v '^[[:space:]]*$' "$pidfile.up" 2>/dev/null | tail -n 20 | while IFS= read -r l; do say "upload-err $l"; done
		rm -f -- "$pidfile.up"
		return 0
	fi
	copied=$(sed -n "s/^copying path '\(\/[^']*\)' to '.*/\1/p" "$pidfile.up" 2>/dev/null)
	rm -f -- "$pidfile.up"
	bytes=0
	if [ -n "$copied" ]; then
		# shellcheck disable=SC2086
		bytes=$("$nixbin/nix-store" --query --size -- $copied 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }')
	fi
	say "uploaded $(printf '%s\n' "$copied" | grep -c .) ${bytes:-0}"
}

# upload_deps STORE prints the build-time closure of the derivation that
# made STORE (no .drv files: no substituter needs them), rooted in the
# run folder until the upload ends; it fails when that is not in the
# store (the image was substituted, or its inputs collected).
upload_deps() {
	drv=$("$nixbin/nix-store" --query --deriver -- "$1" 2>/dev/null)
	case "$drv" in /*.drv) ;; *) return 1 ;; esac
	[ -e "$drv" ] || return 1
	reqs=$("$nixbin/nix-store" --query --requisites --include-outputs -- "$drv" 2>/dev/null | grep -v '\.drv$') || return 1
	[ -n "$reqs" ] || return 1
	# shellcheck disable=SC2086
	"$nixbin/nix-store" --realise --max-jobs 0 --add-root "$pidfile.deps" --indirect -- $reqs >/dev/null 2>&1 || return 1
	printf '%s\n' "$reqs"
}

# copy_image STORE TMP copies a tarball from the store into TMP (made
# empty by this build), or exits 71/72.
copy_image() {
	if ! err=$(cat -- "$1" 2>&1 >|"$2"); then
		copy_failed "$err"
	fi
}

# nix_setting NAME VALUE appends a setting to NIX_CONFIG (later lines win).
nix_setting() {
	NIX_CONFIG="${NIX_CONFIG:+$NIX_CONFIG
}$1 = $2"
	export NIX_CONFIG
}

# stream_image STORE TMP OUTPUT RUNFILE runs the streamed image's program
# and writes its stream to TMP, through gzip when OUTPUT ends in .gz. The
# program runs in this script's process group, so cancel stops it too.
stream_image() {
	errf="$4.err" rcf="$4.rc"
	case "$3" in
	*.gz)
		if command -v gzip >/dev/null 2>&1; then
			gz=gzip
		elif command -v busybox >/dev/null 2>&1; then
			gz="busybox gzip"
		else
			say "error copy-failed no gzip on the builder to compress the stream"
			exit 71
		fi
		# POSIX sh has no pipefail: the program's status goes to a file.
		{ "$1" 2>&3 || echo $? >"$rcf"; } 3>&2 | $gz -c >|"$2" 2>"$errf"
		wst=$?
		;;
	*)
		"$1" >|"$2" 2>"$errf" || echo $? >"$rcf"
		wst=0
		;;
	esac
	err=$(cat "$errf" 2>/dev/null)
	[ -n "$err" ] && printf '%s\n' "$err" >&2
	case "$err" in
	*"No space left"*) copy_failed "$err" ;;
	esac
	if [ $wst -ne 0 ]; then
		copy_failed "${err:-compressing the stream failed with status $wst}"
	fi
	if [ -s "$rcf" ]; then
		say "error stream-failed the streamed image's program $1 exited with status $(cat "$rcf")"
		exit 71
	fi
}

copy_failed() {
	case "$1" in
	*"No space left"*) say "error disk-full $1"; exit 72 ;;
	esac
	say "error copy-failed $1"
	exit 71
}

# need_emulation SYSTEM succeeds when this machine can run SYSTEM's
# programs: natively, or through a qemu-user binfmt handler with the F
# flag (without it, a build inside Nix's sandbox cannot find the
# interpreter). Otherwise it says what is missing.
need_emulation() {
	case "$1" in
	x86_64-linux) cpu=x86_64 ;;
	aarch64-linux) cpu=aarch64 ;;
	*) say "error no-emulation unknown system $1"; return 1 ;;
	esac
	[ "$(uname -m)" = "$cpu" ] && return 0
	h=${NIXPASS_BINFMT_DIR:-/proc/sys/fs/binfmt_misc}/qemu-$cpu
	if [ ! -f "$h" ]; then
		say "error no-emulation no binfmt handler for $cpu ($h is missing)"
		return 1
	fi
	if ! grep -qx enabled "$h"; then
		say "error no-emulation the binfmt handler $h is disabled"
		return 1
	fi
	if ! grep -q '^flags:.*F' "$h"; then
		say "error no-emulation the binfmt handler $h lacks the F (fix-binary) flag, which builds in Nix's sandbox need"
		return 1
	fi
	return 0
}

# cmd_setup_emulation SYSTEM... (as root) makes this machine build for each
# SYSTEM it does not run natively: qemu-user-static registered with the F
# flag, and extra-platforms in the Nix daemon's own nix.conf (an untrusted
# client's extra-platforms is ignored; Nix 2.8 does not even say so), then
# the daemon restarted. It changes nothing that is already so.
# NIXPASS_SETUP_ROOT prefixes /etc for tests.
cmd_setup_emulation() {
	root=${NIXPASS_SETUP_ROOT:-}
	conf=$root/etc/nix/nix.conf
	binfmt=${NIXPASS_BINFMT_DIR:-/proc/sys/fs/binfmt_misc}
	restart=""
	for system in "$@"; do
		case "$system" in
		x86_64-linux)
			cpu=x86_64
			magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00'
			mask='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
			;;
		aarch64-linux)
			cpu=aarch64
			magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
			mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
			;;
		*) echo "nixpass-build: unknown system: $system" >&2; exit 65 ;;
		esac
		[ "$(uname -m)" = "$cpu" ] && continue
		if ! need_emulation "$system" >/dev/null; then
			say "installing qemu-user-static"
			export DEBIAN_FRONTEND=noninteractive
			apt-get install -y -q qemu-user-static binfmt-support >&2 ||
				{ apt-get update -q >&2 && apt-get install -y -q qemu-user-static binfmt-support >&2; } || exit 71
			if ! need_emulation "$system" >/dev/null; then
				# Registered without F, or not at all: register it with F,
				# now and at every boot.
				say "registering qemu-$cpu with the F flag"
				line=":qemu-$cpu:M::$magic:$mask:/usr/bin/qemu-$cpu-static:F"
				mkdir -p "$root/etc/binfmt.d"
				printf '%s\n' "$line" >"$root/etc/binfmt.d/qemu-$cpu-static.conf"
				[ -f "$binfmt/qemu-$cpu" ] && echo -1 >"$binfmt/qemu-$cpu"
				printf '%s' "$line" >"$binfmt/register"
			fi
			if ! need_emulation "$system"; then
				exit 75
			fi
		fi
		if ! grep -Eq "^[[:space:]]*(extra-)?platforms[[:space:]]*=(.*[[:space:]])?$system([[:space:]]|\$)" "$conf" 2>/dev/null; then
			say "adding extra-platforms = $system to $conf"
			mkdir -p "${conf%/*}"
			printf '\n# nixpass vm setup: build %s through qemu-user (binfmt)\nextra-platforms = %s\n' "$system" "$system" >>"$conf" || exit 71
			restart=1
		fi
	done
	if [ -n "$restart" ]; then
		say "restarting the Nix daemon"
		systemctl restart nix-daemon.service >&2 || systemctl restart nix-daemon.socket >&2 || exit 71
	fi
	say "emulation ready"
	exit 0
}

# Become a process-group leader so that `cancel` can stop the whole build
# (nix-build and everything it started) with one signal. The local backend
# starts us in our own group already and sets NIXPASS_LEADER.
if [ "${NIXPASS_LEADER:-}" != 1 ] && { [ "${1:-}" = build ] || [ "${1:-}" = upload ]; } && command -v setsid >/dev/null 2>&1; then
	NIXPASS_LEADER=1 exec setsid -w sh "$0" "$@"
fi

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
build) cmd_build "$@" ;;
upload) cmd_upload "$@" ;;
drv) cmd_drv "$@" ;;
cancel) cmd_cancel "$@" ;;
check) cmd_check ;;
gc) cmd_gc "$@" ;;
setup-emulation) cmd_setup_emulation "$@" ;;
*) echo "usage: nixpass-build build|drv|cancel|check ..." >&2; exit 65 ;;
esac
