#!/usr/bin/env bash
# Build minimal Debian roots that carry a newer Nix than the host's, for the
# end-to-end tests that must pass on several Nix versions:
#   trixie (Debian 13): nix-bin 2.26;  sid: nix-bin 2.34 (at the time of writing).
# Usage: .ci/nix-roots.sh DEST   (creates DEST/trixie and DEST/sid; idempotent)
# The tests enter a root with a private mount namespace and pivot_root
# (builder/nixroot), never a plain chroot: a plain chroot silently turns
# off Nix's sandbox.
set -euo pipefail
dest=${1:?usage: nix-roots.sh DEST}
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$dest"
for suite in trixie sid; do
	root=$dest/$suite
	if [ -x "$root/usr/bin/nix-build" ] && [ -x "$root/bin/busybox" ]; then
		echo "nix-roots: $suite ready: nix-bin $(chroot "$root" dpkg-query -W -f '${Version}' nix-bin)"
		continue
	fi
	rm -rf "$root.tmp"
	debootstrap --variant=minbase "$suite" "$root.tmp" "$mirror" >"$dest/$suite.debootstrap.log" 2>&1 ||
		{ tail -n 30 "$dest/$suite.debootstrap.log"; exit 1; }
	chroot "$root.tmp" apt-get -o Acquire::Check-Valid-Until=false update -qq
	DEBIAN_FRONTEND=noninteractive chroot "$root.tmp" apt-get -o Acquire::Check-Valid-Until=false \
		install -y -qq --no-install-recommends nix-bin busybox-static procps >/dev/null
	rm -rf "$root"
	mv "$root.tmp" "$root"
	echo "nix-roots: $suite: nix-bin $(chroot "$root" dpkg-query -W -f '${Version}' nix-bin)"
done

# Build users, as nix-setup-systemd's postinst makes them, but with uids of
# their own per root: Nix kills every process of a build user's uid before
# and after a build, so a root whose nixbld1 has the host's uid (both are
# the first system uid, 999) kills the host's builds, and the other way
# round.
base_trixie=30100 base_sid=30200
for suite in trixie sid; do
	root=$dest/$suite
	base_var=base_$suite
	base=${!base_var}
	chroot "$root" sh -c '
		base=$1
		groupadd --force --system nix-users
		if getent group nixbld >/dev/null; then groupmod -g "$base" nixbld; else groupadd -g "$base" nixbld; fi
		for n in 1 2 3 4 5 6 7 8 9 10; do
			uid=$((base + n))
			if id "nixbld$n" >/dev/null 2>&1; then
				[ "$(id -u "nixbld$n")" = "$uid" ] || usermod -u "$uid" -g "$base" "nixbld$n"
			else
				useradd --uid "$uid" --home-dir /var/empty --gid nixbld --groups nixbld \
					--no-user-group --shell /usr/sbin/nologin "nixbld$n"
			fi
		done' sh "$base"
	echo "nix-roots: $suite: build users nixbld1-10 = uids $((base + 1))-$((base + 10))"
done
