#!/usr/bin/env bash
# capture.sh regenerates the real Nix texts the diagnosis table is tested
# against, by running each Nix version on small offline fixtures:
#
#   builder/diagnose/testdata/capture.sh          # host Nix, then every root
#   capture.sh --here FIXTURES OUTDIR             # (internal) one Nix version
#
# The host's Nix is Debian 12's 2.8; the roots made by .ci/setup hold
# Debian trixie's 2.26 and sid's 2.34 and are entered with .ci/in-root
# (pivot_root, so the sandbox is really on). Needs root, python3 and git on
# the host; no network (every download goes to an unresolvable .invalid
# host). Each case writes Nix's stderr to OUTDIR/VERSION/CASE.txt.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
roots=${NIXPASS_CI_ROOTS:-/var/lib/nixpass-ci/roots}

# fixtures writes the projects every case builds into $1.
fixtures() {
	f=$1
	bb=/usr/bin/busybox
	[ -x $bb ] || bb=/bin/busybox
	mkdir -p "$f/proj" "$f/flake" "$f/nobody"
	chmod 777 "$f/nobody"
	cat >"$f/proj/common.nix" <<'NIX'
# A derivation built by busybox from the builder's own root (copied into
# the store), so nothing needs nixpkgs or the network.
{ name, script, extra ? {} }:
let
  busybox = if builtins.pathExists /usr/bin/busybox then /usr/bin/busybox else /bin/busybox;
  bb = builtins.path { name = "busybox-static"; path = builtins.dirOf busybox; filter = p: _: baseNameOf p == "busybox"; };
in derivation ({
  inherit name;
  system = builtins.currentSystem;
  builder = "${bb}/busybox";
  args = [ "sh" "-c" script ];
} // extra)
NIX
	cat >"$f/proj/eval-undefined.nix" <<'NIX'
let pkgs = 1; in pkgz.hello
NIX
	cat >"$f/proj/build-exit.nix" <<'NIX'
import ./common.nix { name = "failing"; script = "echo compiling; echo 'fatal: something broke' >&2; exit 3"; }
NIX
	cat >"$f/proj/build-signal9.nix" <<'NIX'
import ./common.nix { name = "killed"; script = "echo allocating; kill -9 $$"; }
NIX
	# Fixed-output derivations with a wrong hash, written as SRI and as
	# Nix's base32: the hint must quote the right one in the same form.
	# Two outputs that refer to each other: an error after the build.
	cat >"$f/proj/build-cycle.nix" <<'NIX'
import ./common.nix { name = "cycle"; script = "echo $dev > $out; echo $out > $dev"; extra = { outputs = [ "out" "dev" ]; }; }
NIX
	cat >"$f/proj/hash-mismatch-sri.nix" <<'NIX'
import ./common.nix { name = "vendor-deps"; script = "echo hello > $out"; extra = {
  outputHashMode = "flat"; outputHashAlgo = "sha256";
  outputHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; }; }
NIX
	cat >"$f/proj/hash-mismatch-base32.nix" <<'NIX'
import ./common.nix { name = "vendor-deps"; script = "echo hello > $out"; extra = {
  outputHashMode = "flat"; outputHashAlgo = "sha256";
  outputHash = "0000000000000000000000000000000000000000000000000000"; }; }
NIX
	# <nixpkgs> with an empty NIX_PATH (no channel), and an attribute
	# that is not there (a typo of one that is).
	cat >"$f/proj/eval-nixpath.nix" <<'NIX'
import <nixpkgs> { }
NIX
	cat >"$f/proj/eval-attr.nix" <<'NIX'
{ image = import ./common.nix { name = "image"; script = "echo hi > $out"; }; other = 1; }
NIX
	cat >"$f/proj/missing-outside.nix" <<'NIX'
import ../shared/lib.nix { }
NIX
	cat >"$f/proj/network-fetchtarball.nix" <<'NIX'
import (builtins.fetchTarball "http://nixpass-unresolvable.invalid/nixpkgs.tar.gz") { }
NIX
	cat >"$f/proj/network-fetchurl.nix" <<'NIX'
import <nix/fetchurl.nix> {
  url = "http://nixpass-unresolvable.invalid/src/app-1.0.tar.gz";
  sha256 = "0000000000000000000000000000000000000000000000000000";
}
NIX
	cat >"$f/proj/platform-system.nix" <<'NIX'
derivation { name = "arm-image"; system = "aarch64-linux"; builder = "/bin/sh"; args = [ "-c" "echo hi > $out" ]; }
NIX
	cat >"$f/proj/platform-kvm.nix" <<'NIX'
import ./common.nix { name = "docker-image-run-as-root.tar.gz"; script = "echo hi > $out"; extra = { requiredSystemFeatures = [ "kvm" ]; }; }
NIX
	cat >"$f/proj/disk-full.nix" <<'NIX'
import ./common.nix { name = "big"; script = "echo writing; dd if=/dev/zero of=$out bs=1M count=64"; }
NIX
	# The build folder fills up (a builder unpacking into it), saying so
	# with dd's error, or saying nothing: then only Nix's note remains.
	cat >"$f/proj/disk-full-builddir.nix" <<'NIX'
import ./common.nix { name = "scratch"; script = "echo unpacking; dd if=/dev/zero of=scratch bs=1M count=64 && echo ok > $out"; }
NIX
	cat >"$f/proj/disk-full-note.nix" <<'NIX'
import ./common.nix { name = "scratch-quiet"; script = "echo unpacking; dd if=/dev/zero of=scratch bs=1M count=64 2>/dev/null || exit 1; echo ok > $out"; }
NIX
	mkdir -p "$f/tiny" "$f/tinytmp" "$f/roomy" "$f/netflake"
	# A flake whose input is on an unresolvable host.
	cat >"$f/netflake/flake.nix" <<'NIX'
{
  inputs.dep = { url = "http://nixpass-unresolvable.invalid/dep.tar.gz"; flake = false; };
  outputs = { self, dep }: { packages.x86_64-linux.default = import "${dep}/image.nix"; };
}
NIX
	cat >"$f/proj/ok.nix" <<'NIX'
import ./common.nix { name = "ok-${toString builtins.currentTime}"; script = "echo hi > $out"; }
NIX
	# A flake whose default.nix imports a file git does not track: Nix
	# copies only tracked files into the store.
	cat >"$f/flake/flake.nix" <<'NIX'
{
  outputs = { self }: { packages.x86_64-linux.default = import ./image.nix; };
}
NIX
	echo 'import ./untracked.nix' >"$f/flake/image.nix"
	echo '"hello"' >"$f/flake/untracked.nix"
	(cd "$f/flake" && git init -q && git add flake.nix image.nix &&
		git -c user.name=n -c user.email=n@invalid commit -qm init) || exit 1
	# A socket nothing listens on (a daemon that died), and one the
	# unprivileged user may not open.
	python3 -c 'import socket,sys
for p in sys.argv[1:]:
    s=socket.socket(socket.AF_UNIX); s.bind(p); s.close()' "$f/stale.sock" "$f/denied.sock"
	chmod 600 "$f/denied.sock"
}

# one runs one case: Nix's stderr goes to $out/$1.txt. A builder killed
# by signal 9 in any other case than build-signal9 was killed from outside
# (on a busy shared machine): that run is retried.
one() {
	name=$1
	shift
	# NIXPASS_CAPTURE_ONLY="case ..." captures only those cases.
	case " ${NIXPASS_CAPTURE_ONLY:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	for _ in 1 2 3 4 5; do
		(cd "$fix/proj" && "$@") >/dev/null 2>"$out/$name.txt"
		rc=$?
		[ "$name" = build-signal9 ] || ! grep -q 'signal 9' "$out/$name.txt" || continue
		break
	done
	echo "  $name: exit $rc"
}

# tiny runs a command in its own mount namespace with a 24 MiB tmpfs at
# $fix/tiny, for a store that fills up (nix-build --store $fix/tiny).
tiny() {
	unshare --mount sh -c 'mount --make-rprivate / && mount -t tmpfs -o size=24m tmpfs "$0" && exec "$@"' "$fix/tiny" "$@"
}

# tinytmp runs a command with TMPDIR (where Nix makes build folders) on
# a 24 MiB tmpfs at $fix/tinytmp.
tinytmp() {
	unshare --mount sh -c 'mount --make-rprivate / && mount -t tmpfs -o size=24m tmpfs "$0" && TMPDIR=$0 exec "$@"' "$fix/tinytmp" "$@"
}

# fullstore runs a command on a store in a 24 MiB tmpfs at $fix/tiny that
# is full but for $leave KiB once Nix's database exists (a failed build
# made it): SQLite's own error. How much room SQLite needs to fail this
# way depends on the version (2.8 says "disk I/O error" below 64 KiB).
fullstore() {
	unshare --mount sh -c 'mount --make-rprivate / && mount -t tmpfs -o size=24m tmpfs "$0" &&
		nix-build --no-out-link --store "$0" --option substituters "" --option build-users-group "" build-exit.nix >/dev/null 2>&1
		avail=$(df -Pk "$0" | awk "NR == 2 { print \$4 }")
		dd if=/dev/zero of="$0/filler" bs=1K count=$((avail - $1)) 2>/dev/null
		shift
		exec "$@"' "$fix/tiny" "$leave" "$@"
}

# nobody runs a command as an unprivileged user, as a desktop user or
# the VM's ubuntu user would be.
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$fix/nobody" XDG_CACHE_HOME="$fix/nobody" "$@"
}

# capture_here runs every case with the Nix on PATH.
capture_here() {
	fix=$1 base=$2
	v=$(nix-build --version | sed -n 's/.* \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
	out=$base/$v
	mkdir -p "$out"
	echo "Nix $v -> $out"
	# The roots' build users have the same uids as the host's, and Nix
	# kills every process of a build user it takes: inside a root, build
	# as root (still sandboxed) so neither side kills the other's builds.
	users=()
	if [ -n "${NIXPASS_CAPTURE_IN_ROOT:-}" ]; then
		users=(--option build-users-group '')
	fi
	off=(--option substituters '' --option sandbox true "${users[@]}")
	one eval-undefined nix-build --no-out-link "${off[@]}" eval-undefined.nix
	one build-exit nix-build --no-out-link "${off[@]}" build-exit.nix
	# In the sandbox the builder is PID 1 of its namespace, which SIGKILL
	# from inside cannot kill: this one case runs without the sandbox.
	one build-signal9 nix-build --no-out-link --option substituters '' --option sandbox false "${users[@]}" build-signal9.nix
	one build-cycle nix-build --no-out-link "${off[@]}" build-cycle.nix
	one hash-mismatch-sri nix-build --no-out-link "${off[@]}" hash-mismatch-sri.nix
	one hash-mismatch-base32 nix-build --no-out-link "${off[@]}" hash-mismatch-base32.nix
	one eval-nixpath env NIX_PATH= nix-build --no-out-link "${off[@]}" eval-nixpath.nix
	one eval-attr-missing nix-build --no-out-link "${off[@]}" -A imag eval-attr.nix
	one missing-outside nix-build --no-out-link "${off[@]}" missing-outside.nix
	one no-default nix-build --no-out-link "${off[@]}" "$fix/nobody"
	one network-fetchtarball nix-build --no-out-link "${off[@]}" --option tarball-ttl 0 network-fetchtarball.nix
	one network-fetchurl nix-build --no-out-link "${off[@]}" network-fetchurl.nix
	one platform-system nix-build --no-out-link "${off[@]}" --option extra-platforms '' platform-system.nix
	one platform-kvm nix-build --no-out-link "${off[@]}" --option system-features 'benchmark big-parallel' platform-kvm.nix
	one disk-full tiny nix-build --no-out-link "${off[@]}" --store "$fix/tiny" disk-full.nix
	# Nix 2.22 and later make build folders in build-dir, not TMPDIR.
	bd=()
	case $v in 2.[0-9] | 2.1[0-9] | 2.2[01]) ;; *) bd=(--option build-dir "$fix/tinytmp") ;; esac
	one disk-full-builddir tinytmp nix-build --no-out-link "${off[@]}" "${bd[@]}" --store "$fix/roomy" disk-full-builddir.nix
	one disk-full-note tinytmp nix-build --no-out-link "${off[@]}" "${bd[@]}" --store "$fix/roomy" disk-full-note.nix
	leave=24
	[ "$v" = 2.8 ] && leave=64
	one disk-full-sqlite fullstore nix-build --no-out-link "${off[@]}" --store "$fix/tiny" disk-full-note.nix
	# Nix's own garbage collection (min-free) before a build that fails
	# for another reason: its "note: currently hard linking saves" is not
	# about a full disk. A store of its own: never the host's.
	one gc-note nix-build --no-out-link "${off[@]}" --store "$fix/roomy" --option min-free 100000000000000 --option max-free 100000000000001 build-exit.nix
	one setup-nixbld-missing nix-build --no-out-link "${off[@]}" --option build-users-group nosuchgroup ok.nix
	one setup-socket-missing env NIX_REMOTE=daemon NIX_DAEMON_SOCKET_PATH="$fix/no-such-dir/socket" nix-build --no-out-link "${off[@]}" ok.nix
	one setup-socket-refused env NIX_REMOTE=daemon NIX_DAEMON_SOCKET_PATH="$fix/stale.sock" nix-build --no-out-link "${off[@]}" ok.nix
	one setup-socket-denied nobody env NIX_REMOTE=daemon NIX_DAEMON_SOCKET_PATH="$fix/denied.sock" nix-build --no-out-link "${off[@]}" ok.nix
	# Debian 12's real case: a user not in nix-users, the daemon's socket
	# folder is root:nix-users 0770 (only where a daemon runs: the host).
	if [ -S /nix/var/nix/daemon-socket/socket ]; then
		one setup-socket-denied-auto nobody nix-build --no-out-link "${off[@]}" ok.nix
		one setup-socket-denied-daemon nobody env NIX_REMOTE=daemon nix-build --no-out-link "${off[@]}" ok.nix
	fi
	one setup-store-readonly nobody env NIX_REMOTE=local nix-build --no-out-link "${off[@]}" ok.nix
	one network-refused nix-instantiate --eval "${off[@]}" -E 'builtins.fetchurl "http://127.0.0.1:1/src/app-1.0.tar.gz"'
	one network-http404 nix-instantiate --eval "${off[@]}" -E "builtins.fetchurl \"http://127.0.0.1:$NIXPASS_CAPTURE_PORT/no-such-file.tar.gz\""
	# The roots have no git: Nix 2.8 runs git for fetchGit, so only the
	# host prints git's own error.
	if command -v git >/dev/null; then
		one network-fetchgit nix-instantiate --eval "${off[@]}" -E 'builtins.fetchGit "http://nixpass-unresolvable.invalid/repo.git"'
	fi
	one network-flake-input nix --extra-experimental-features 'nix-command flakes' build --no-link "${off[@]}" "path:$fix/netflake#default"
	one flake-untracked nix --extra-experimental-features 'nix-command flakes' build --no-link "${off[@]}" "$fix/flake#default"
	one flake-eval-undefined nix --extra-experimental-features 'nix-command flakes' eval --file eval-undefined.nix
}

if [ "${1:-}" = --here ]; then
	capture_here "$2" "$3"
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "capture.sh: run as root (the roots need it): sudo $0" >&2; exit 1; }
# A fixed folder, so that regenerating changes only what Nix changed.
fix=/tmp/nixpass-capture
rm -rf "$fix"
mkdir -m 755 "$fix"
trap 'rm -rf "$fix"' EXIT
fixtures "$fix"
# An HTTP server on the loopback for the 404 case (the roots share the
# host's network namespace).
python3 -u -m http.server --bind 127.0.0.1 --directory "$fix" 0 >"$fix/http.log" 2>&1 &
http=$!
trap 'kill $http; rm -rf "$fix"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do
	NIXPASS_CAPTURE_PORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$fix/http.log" | head -n 1)
	[ -n "$NIXPASS_CAPTURE_PORT" ] && break
	sleep 0.3
done
[ -n "$NIXPASS_CAPTURE_PORT" ] || { echo "capture.sh: the HTTP server did not start" >&2; exit 1; }
export NIXPASS_CAPTURE_PORT
capture_here "$fix" "$here"
for r in trixie sid; do
	if [ ! -x "$roots/$r/usr/bin/nix-build" ]; then
		echo "capture.sh: no root $roots/$r (run sudo .ci/setup)" >&2
		exit 1
	fi
	NIXPASS_CAPTURE_IN_ROOT=1 "$top/.ci/in-root" --bind "$fix" --bind "$here" "$roots/$r" bash "$here/capture.sh" --here "$fix" "$here"
done
