#!/bin/sh
# setup-linux.sh: make this Linux machine able to run `make run`: Nix from
# the distribution's packages with its build users (nix-bin,
# nix-setup-systemd), a running nix-daemon for a non-root user who is in
# nix-users, and a static busybox for the offline example (busybox-static).
#
# It says what it will change before it changes anything. On a terminal it
# asks first; under CI=true it proceeds without asking; on a system other
# than Debian 12+ or Ubuntu 24.04+, or without a terminal to ask on, it
# prints the manual steps and exits 1. Nothing missing: it prints nothing
# and exits 0.
#
# Environment (for tests): NIXPASS_OS_RELEASE (default /etc/os-release),
# NIXPASS_NIX_SOCKET (default /nix/var/nix/daemon-socket/socket).
set -eu

os_release=${NIXPASS_OS_RELEASE:-/etc/os-release}
socket=${NIXPASS_NIX_SOCKET:-/nix/var/nix/daemon-socket/socket}
uid=$(id -u)
user=$(id -un)

pkgs=""
command -v nix-build >/dev/null 2>&1 || pkgs="$pkgs nix-bin"
getent group nixbld >/dev/null 2>&1 || pkgs="$pkgs nix-setup-systemd"
[ -x /usr/bin/busybox ] || [ -x /bin/busybox ] || pkgs="$pkgs busybox-static"
pkgs=${pkgs# }

# A non-root user builds through nix-daemon: it must run, and the user must
# be in nix-users to open its socket. Root builds with the store directly.
join=no
daemon=no
if [ "$uid" != 0 ]; then
	case " $(id -nG) " in *" nix-users "*) ;; *) join=yes ;; esac
	[ -S "$socket" ] || daemon=yes
fi

[ -n "$pkgs" ] || [ "$join" = yes ] || [ "$daemon" = yes ] || exit 0

plan() {
	[ -z "$pkgs" ] || echo "  install Debian packages: $pkgs"
	[ "$join" = no ] || echo "  add $user to the group nix-users (takes effect at your next login)"
	[ "$daemon" = no ] || echo "  start nix-daemon (systemd: enable nix-daemon.socket; otherwise in the background)"
}

manual() {
	echo "To set it up by hand:"
	echo "  Debian 12+ / Ubuntu 24.04+: sudo apt-get install nix-bin nix-setup-systemd busybox-static"
	echo "    then: sudo usermod -aG nix-users \"\$USER\", log in again, and sudo systemctl enable --now nix-daemon.socket"
	echo "  elsewhere: install Nix (https://nixos.org/download) and a statically linked busybox"
}

echo "nixpass builds with Nix on Linux; this machine needs:"
plan

id=""
version=""
like=""
if [ -r "$os_release" ]; then
	# shellcheck disable=SC1090
	. "$os_release"
	id=${ID:-}
	version=${VERSION_ID:-}
	like=${ID_LIKE:-}
fi
major=${version%%.*}
supported=no
case "$id" in
debian) [ "${major:-0}" -ge 12 ] 2>/dev/null && supported=yes ;;
ubuntu) [ "${major:-0}" -ge 24 ] 2>/dev/null && supported=yes ;;
esac
# Debian testing and sid have no VERSION_ID.
[ "$id" = debian ] && [ -z "$version" ] && supported=yes
if [ "$supported" = no ]; then
	echo "This is ${id:-an unknown system}${version:+ $version}${like:+ (like $like)}, not Debian 12+ or Ubuntu 24.04+: nixpass does not install anything here."
	manual
	exit 1
fi

if [ "${CI:-}" != true ]; then
	if ! [ -t 0 ]; then
		echo "No terminal to ask on, and CI is not set to true: nothing was changed."
		manual
		exit 1
	fi
	printf 'Go ahead? [y/N] '
	read -r answer || answer=
	case "$answer" in
	y | Y | yes | YES) ;;
	*)
		echo "Nothing was changed."
		manual
		exit 1
		;;
	esac
fi

as_root() {
	if [ "$uid" = 0 ]; then "$@"; else sudo "$@"; fi
}

if [ -n "$pkgs" ]; then
	echo "installing $pkgs"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs
fi
if [ "$daemon" = yes ] && ! [ -S "$socket" ]; then
	if [ -d /run/systemd/system ]; then
		echo "starting nix-daemon through systemd"
		as_root systemctl enable --now nix-daemon.socket
	else
		# No systemd: what nix-setup-systemd's tmpfiles.d would have made,
		# then the daemon itself, detached and logging to /var/log.
		echo "starting nix-daemon in the background (log: /var/log/nix-daemon.log)"
		as_root install -d -m 0770 -o root -g nix-users /nix/var/nix/daemon-socket
		as_root install -d -m 1777 /nix/var/nix/gcroots/per-user /nix/var/nix/profiles/per-user
		as_root sh -c 'setsid nix-daemon --daemon </dev/null >>/var/log/nix-daemon.log 2>&1 &'
		i=0
		while ! [ -S "$socket" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
fi
if [ "$join" = yes ]; then
	as_root usermod -aG nix-users "$user"
	echo "$user is now in nix-users. Log in again (or run: newgrp nix-users), then run make run again."
	exit 1
fi
echo "set-up done"
