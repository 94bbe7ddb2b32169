# The classic case: a buildImage base with coreutils and bash, extended by a
# layered image that runs `hello`. Needs the network (nixpkgs and the binary
# cache), so CI does not build it; on a Mac: nixpass add examples/hello-layered
let
  # nixpkgs pinned by revision. Add `sha256 = "...";` (Nix prints the
  # right one on the first fetch) to also pin the content; it was not
  # fetched here, this project's CI has no network.
  nixpkgs = builtins.fetchTarball {
    url = "https://github.com/NixOS/nixpkgs/archive/refs/tags/24.05.tar.gz";
  };
  # The builder VM's own system: aarch64-linux on Apple silicon,
  # x86_64-linux on Intel Macs.
  pkgs = import nixpkgs { system = builtins.currentSystem; };
  base = pkgs.dockerTools.buildImage {
    name = "base";
    tag = "latest";
    copyToRoot = pkgs.buildEnv {
      name = "base-root";
      paths = [ pkgs.coreutils pkgs.bashInteractive ];
      pathsToLink = [ "/bin" ];
    };
  };
in
pkgs.dockerTools.buildLayeredImage {
  name = "hello";
  tag = "latest";
  fromImage = base;
  contents = [ pkgs.hello ];
  config.Cmd = [ "hello" ];
}
