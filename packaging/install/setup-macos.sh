#!/bin/sh
# setup-macos.sh: make this Mac able to run `make run`: Multipass, the VM
# manager nixpass builds in, from Homebrew. It says what it will install
# first; on a terminal it asks, under CI=true it proceeds; without Homebrew
# or a terminal to ask on it prints the manual step and exits 1. Multipass
# already installed: it prints nothing and exits 0.
set -eu
command -v multipass >/dev/null 2>&1 && exit 0
for d in /usr/local/bin /opt/homebrew/bin; do
	[ -x "$d/multipass" ] && exit 0
done
echo "nixpass builds in a Multipass VM on macOS; this Mac needs:"
echo "  Multipass (brew install --cask multipass; it asks for your password to install its service)"
manual="To install it by hand: download the installer from https://multipass.run/install, or brew install --cask multipass"
if ! command -v brew >/dev/null 2>&1; then
	echo "Homebrew is not installed, so nixpass installs nothing."
	echo "$manual"
	exit 1
fi
if [ "${CI:-}" != true ]; then
	if ! [ -t 0 ]; then
		echo "No terminal to ask on, and CI is not set to true: nothing was changed."
		echo "$manual"
		exit 1
	fi
	printf 'Go ahead? [y/N] '
	read -r answer || answer=
	case "$answer" in
	y | Y | yes | YES) ;;
	*)
		echo "Nothing was changed. $manual"
		exit 1
		;;
	esac
fi
brew install --cask multipass
