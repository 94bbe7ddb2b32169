#!/usr/bin/env bash
# capture.sh OUTDIR PREFIX: records what `nix copy --to` prints when an
# upload fails, for the failure rules' tests (testdata/nix/PREFIX-*.txt).
# Run as root with the Nix under test first on PATH. For a newer Nix, in a
# root without python3, serve HTTP from outside (the python part below,
# saved as srv.py, run as python3 srv.py PORTFILE) and start the root's
# own daemon for the run:
#   SERVER_PORT=$(cat PORTFILE) .ci/in-root --bind "$PWD" /var/lib/nixpass-ci/roots/sid \
#     sh -c 'nix-daemon & d=$!; sleep 1; "$@"; kill $d' sh "$PWD/builder/cache/testdata/capture.sh" "$PWD/builder/cache/testdata/nix" 2.34
# A small file added to the store is the path uploaded.
set -uo pipefail
out=$1 prefix=$2
w=$(mktemp -d)
F=(--extra-experimental-features nix-command)
# A built path (input-addressed: a path added with nix-store --add is
# content-addressed and needs no signature anywhere).
bb=$(readlink -f "$(command -v busybox)")
p=$(nix-build --no-out-link -E '{ bb, salt }: derivation { name = "payload"; system = builtins.currentSystem;
  builder = "${builtins.path { name = "bb"; path = dirOf (/. + bb); filter = p: _: baseNameOf p == baseNameOf bb; }}/busybox";
  args = [ "sh" "-c" "echo ${salt} > $out" ]; }' --argstr bb "$bb" --argstr salt "$$-$(date +%s%N)" 2>/dev/null) || exit 1
nix-store --generate-binary-cache-key t-1 "$w/sk" "$w/pk"
# The HTTP server: this one, or SERVER_PORT's (a root without python3).
if [ -n "${SERVER_PORT:-}" ]; then echo "$SERVER_PORT" >"$w/port"; srv=; else
python3 - "$w/port" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/nix-cache-info":
            self.send_response(200); self.end_headers(); self.wfile.write(b"StoreDir: /nix/store\n")
        else:
            self.send_response(404); self.end_headers()
    do_HEAD = do_GET
    def do_PUT(self): self.send_response(403); self.end_headers()
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()
PY
srv=$!
fi
for _ in $(seq 50); do [ -s "$w/port" ] && break; sleep 0.1; done
port=$(cat "$w/port")
mkdir -p "$w/ro" && chmod 555 "$w/ro"
cap() { name=$1; shift; "$@" >"$out/$prefix-$name.txt" 2>&1; echo "exit $?" >>"$out/$prefix-$name.txt"; }
cap unreachable nix copy "${F[@]}" --to "http://127.0.0.1:1/?secret-key=$w/sk" "$p"
cap refused nix copy "${F[@]}" --to "http://127.0.0.1:$port/?secret-key=$w/sk" "$p"
cap key-missing nix copy "${F[@]}" --to "file://$w/c?secret-key=$w/nokey" "$p"
echo garbage >"$w/bad"
cap key-corrupt nix copy "${F[@]}" --to "file://$w/c?secret-key=$w/bad" "$p"
cp "$w/sk" "$w/sk-ci" && chown nixpass-ci "$w/sk-ci" && chmod 755 "$w"
cap permission su nixpass-ci -s /bin/sh -c 'nix copy --extra-experimental-features nix-command --to "$1" "$2"' sh "file://$w/ro/c?secret-key=$w/sk-ci" "$p"
# Not signed: a store that wants signatures (a daemon for an untrusted
# user) given a path from a cache nobody signed.
nix copy "${F[@]}" --to "file://$w/unsigned" "$p" && chmod -R a+rX "$w/unsigned"
nix-store --delete "$p" >/dev/null 2>&1
cap not-signed su nixpass-ci -s /bin/sh -c 'nix copy --extra-experimental-features nix-command --from "$1" --to daemon "$2"' sh "file://$w/unsigned" "$p"
[ -z "$srv" ] || kill "$srv"
chmod -R u+w "$w"; rm -rf "$w"
