package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNetworkDetail reads Nix's first retry warning in the real texts of
// every version (a download from an unresolvable host, and a refused
// connection) and names the host; other lines say nothing.
func TestNetworkDetail(t *testing.T) {
	for _, v := range []string{"2.8", "2.26", "2.34"} {
		for file, host := range map[string]string{"network-fetchurl": "nixpass-unresolvable.invalid", "network-refused": "127.0.0.1:1"} {
			b, err := os.ReadFile(filepath.Join("..", "diagnose", "testdata", v, file+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, l := range strings.Split(string(b), "\n") {
				if got = networkDetail(l); got != "" {
					break
				}
			}
			if !strings.HasPrefix(got, "cannot reach "+host+" (") || !strings.Contains(got, "the network looks down") {
				t.Errorf("%s %s: detail %q, want the host %s", v, file, got, host)
			}
		}
	}
	for _, l := range []string{"building '/nix/store/x.drv'...", "error: unable to download 'http://h/x': HTTP error 404", ""} {
		if d := networkDetail(l); d != "" {
			t.Errorf("networkDetail(%q) = %q, want none", l, d)
		}
	}
}
