# A docker-archive image built with nothing but a static busybox: no
# nixpkgs, no network. `docker load -i result.tar.gz` accepts it.
#
#   busybox: path of a statically linked busybox on the build machine
#            (Debian/Ubuntu: apt-get install busybox-static).
#   prepare: shell commands run first in the builder (tests use it to fail
#            or to use memory on purpose).
#   format:  "tar.gz" (the image), or "dir" (its files, which stream.nix
#            tars up when it runs).
#   substitute: whether Nix may ask binary caches for the image (false:
#            truly offline, as the example's default.nix builds it).
{ # On merged-/usr systems /bin is a symlink, which builtins.path would
  # copy as a link: name the real file.
  busybox ? if builtins.pathExists /usr/bin/busybox then /usr/bin/busybox else /bin/busybox
, name ? "offline"
, tag ? "latest"
, message ? "hello from nixpass"
, prepare ? ""
, format ? "tar.gz"
, substitute ? true
}:
let
  # Copy only busybox into the store, as <store>/busybox: busybox picks its
  # applet from argv[0], so the file must keep that name.
  bb = builtins.path {
    name = "busybox-static";
    path = builtins.dirOf busybox;
    filter = p: _: baseNameOf p == baseNameOf busybox;
  };
  arch = {
    "x86_64-linux" = "amd64";
    "aarch64-linux" = "arm64";
  }.${builtins.currentSystem} or "amd64";
in
derivation {
  name = "${name}-${tag}.tar.gz";
  system = builtins.currentSystem;
  builder = "${bb}/${baseNameOf busybox}";
  args = [ "sh" "-eu" ./build-image.sh ];
  imageName = name;
  inherit tag message prepare arch format;
  # substitute = false (examples/offline/default.nix) never asks a binary
  # cache for this output: without network Nix would spend ~5 s on
  # cache.nixos.org's retries. Tests of caches leave it true.
  allowSubstitutes = substitute;
  bb = "${bb}/${baseNameOf busybox}";
}
