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
	# nix-bin without nix-setup-systemd: build users as its postinst makes them.
	chroot "$root.tmp" sh -c 'groupadd --force --system nix-users; groupadd --force --system nixbld;
		for n in 1 2 3 4 5 6 7 8 9 10; do id nixbld$n >/dev/null 2>&1 || useradd --system --home-dir /var/empty \
			--gid nixbld --groups nixbld --no-user-group --shell /usr/sbin/nologin nixbld$n; done'
	rm -rf "$root"
	mv "$root.tmp" "$root"
	echo "nix-roots: $suite: nix-bin $(chroot "$root" dpkg-query -W -f '${Version}' nix-bin)"
done
