#!/usr/bin/env bash
# remote-builder.sh: make this machine able to play a Nix remote builder
# for the tests, as root, idempotently. It only prepares; the tests start
# their own sshd (sshd -f CONFIG -D -e on 127.0.0.1, a free port) and stop
# it when they want a builder that is down.
#
#   user nixpass-rb     key-only (password locked with '*', which sshd
#                       accepts without PAM), its own Nix store at
#                       ~/remote-store (not under /tmp: Nix 2.34 refuses a
#                       store under a world-writable folder), no substituters.
#                       Nix on its PATH: nix-daemon (ssh-ng://) and
#                       nix-store (ssh://) are Debian's /usr/bin ones.
#   $dir/client_key     the key the builder accepts (and .pub)
#   $dir/wrong_key      a key it does not
#   $dir/host_key       the sshd's own host key (and .pub)
#
# Usage: sudo .ci/remote-builder.sh [DIR]   (DIR: /var/lib/nixpass-ci/remote-builder)
set -euo pipefail
dir=${1:-/var/lib/nixpass-ci/remote-builder}
user=nixpass-rb
if [ "$(id -u)" != 0 ]; then echo "remote-builder.sh must run as root" >&2; exit 1; fi
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || { echo "remote-builder.sh: sshd missing: apt-get install openssh-server" >&2; exit 1; }

install -d -m 0755 "$dir"
[ -f "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C nixpass-ci-client -f "$dir/client_key"
[ -f "$dir/wrong_key" ] || ssh-keygen -q -t ed25519 -N '' -C nixpass-ci-wrong -f "$dir/wrong_key"
[ -f "$dir/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C nixpass-ci-host -f "$dir/host_key"
chmod 0600 "$dir/client_key" "$dir/wrong_key" "$dir/host_key"

if ! id "$user" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/sh "$user"
fi
# '*' locks the password without making the account "locked" ('!'), which
# sshd without PAM would refuse even for a key.
usermod -p '*' "$user"
home=$(getent passwd "$user" | cut -d: -f6)
install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
install -m 0600 -o "$user" -g "$user" "$dir/client_key.pub" "$home/.ssh/authorized_keys"
install -d -m 0755 -o "$user" -g "$user" "$home/.config" "$home/.config/nix" "$home/remote-store"
cat >"$home/.config/nix/nix.conf.tmp" <<CONF
# nixpass CI: this user is a remote builder with a store of its own.
store = local?root=$home/remote-store
substituters =
CONF
chown "$user:$user" "$home/.config/nix/nix.conf.tmp"
mv "$home/.config/nix/nix.conf.tmp" "$home/.config/nix/nix.conf"
mkdir -p /run/sshd
# ssh-ng:// runs nix-daemon, ssh:// nix-store, from a non-interactive shell.
for tool in nix-daemon nix-store; do
	su -s /bin/sh "$user" -c "command -v $tool" >/dev/null ||
		{ echo "remote-builder.sh: $tool is not on $user's PATH: apt-get install nix-bin" >&2; exit 1; }
done
echo "remote-builder: user $user (store $home/remote-store), keys in $dir"
