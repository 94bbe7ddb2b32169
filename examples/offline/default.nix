# The offline example: `nixpass add examples/offline && nixpass build examples/offline`
# builds offline:latest from a static busybox, with no nixpkgs and no network.
{ # On merged-/usr systems /bin is a symlink, which builtins.path would
  # copy as a link: name the real file.
  busybox ? if builtins.pathExists /usr/bin/busybox then /usr/bin/busybox else /bin/busybox, tag ? "latest" }:
import ./image.nix { inherit busybox tag; substitute = false; }
