# Homebrew cask template for nixpass. Fill in version, sha256 and url from
# the release (the zipped, notarised nixpass.app), then submit to a tap.
cask "nixpass" do
  version "VERSION"
  sha256 "SHA256_OF_nixpass-VERSION.zip"

  url "https://example.invalid/nixpass/releases/download/v#{version}/nixpass-#{version}.zip"
  name "nixpass"
  desc "Menu-bar builder of Linux Nix Docker images in a Multipass VM"
  homepage "https://example.invalid/nixpass"

  depends_on macos: ">= :monterey"
  depends_on cask: "multipass"

  app "nixpass.app"
  binary "#{appdir}/nixpass.app/Contents/MacOS/nixpass"

  uninstall launchctl: "dev.nixpass.agent",
            quit:      "dev.nixpass.app"

  zap trash: [
    "~/Library/Application Support/nixpass",
    "~/Library/LaunchAgents/dev.nixpass.agent.plist",
    "~/Library/Logs/nixpass",
  ]
end
