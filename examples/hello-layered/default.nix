# The classic case: a buildImage base with coreutils and bash, extended by a
# layered image that runs `hello`. Needs the network (nixpkgs and the binary
# cache), so CI does not build it; on a Mac: nixpass add examples/hello-layered
let
  # Pinned nixpkgs (nixos-24.05); update the rev and sha256 together.
  nixpkgs = builtins.fetchTarball {
    url = "https://github.com/NixOS/nixpkgs/archive/63dacb46bf939521bdc93981b4cbb7ecb58427a0.tar.gz";
    sha256 = "1lr1h35prqkd1mkmzriwlpvxcb34kmhc9dnr48gkm8hh089hifmx";
  };
  pkgs = import nixpkgs { system = "x86_64-linux"; };
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
