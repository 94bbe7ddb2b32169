#!/bin/sh
# path-hint.sh DIR: print the line that puts DIR on PATH when it is not, so
# that "installed DIR/nixpass" is never followed by "command not found".
set -eu
dir=$1
case ":${PATH:-}:" in
*":$dir:"*) exit 0 ;;
esac
q=$(printf '%s' "$dir" | sed "s/'/'\\\\''/g")
case "${SHELL:-}" in
*/zsh) rc="~/.zprofile" ;;
*/bash) rc="~/.bashrc (Linux) or ~/.bash_profile (macOS)" ;;
*) rc="your shell's profile" ;;
esac
echo "$dir is not on your PATH; add this line to $rc:"
echo "  export PATH='$q':\"\$PATH\""
