# A streamed image, as dockerTools.streamLayeredImage makes one: the build's
# output is not a tarball but a program that writes the docker-archive to
# stdout when it runs (no image tarball in the store). nixpass runs it on
# the builder and writes the stream to the output file, gzipped for .gz.
#
#   nixpass build examples/offline  (with file = "stream.nix")
#
# Like streamLayeredImage, it writes manifest.json last. streamPrepare is
# shell run by the program before it streams (tests use it to be slow or
# to fail).
{ busybox ? if builtins.pathExists /usr/bin/busybox then /usr/bin/busybox else /bin/busybox
, name ? "offline-stream"
, tag ? "latest"
, message ? "hello from a streamed image"
, prepare ? ""
, streamPrepare ? ""
}:
let
  parts = import ./image.nix { inherit busybox name tag message prepare; format = "dir"; substitute = false; };
  bb = parts.bb;
in
derivation {
  name = "stream-${name}-${tag}";
  system = builtins.currentSystem;
  builder = bb;
  inherit bb parts streamPrepare;
  # Truly offline, as the example's default.nix: no binary cache is asked.
  allowSubstitutes = false;
  args = [ "sh" "-euc" ''
    files=$(cd "$parts" && "$bb" ls | "$bb" grep -vx manifest.json | "$bb" tr '\n' ' ')
    {
      "$bb" printf '#!%s sh\n' "$bb"
      "$bb" printf '%s\n' "$streamPrepare"
      "$bb" printf 'cd %s && exec %s tar -cf - %s manifest.json\n' "$parts" "$bb" "$files"
    } >"$out"
    "$bb" chmod 555 "$out"
  '' ];
}
