package config

import (
	"strings"
	"testing"
)

func TestFreeSpaceDefaults(t *testing.T) {
	for _, tt := range []struct {
		name             string
		vm               VM
		wantMin, wantMax Size
	}{
		{"10% of a 40G disk", VM{Disk: 40 * GiB}, 4 * GiB, 8 * GiB},
		{"5G caps a 100G disk", VM{Disk: 100 * GiB}, 5 * GiB, 10 * GiB},
		{"10% of a small disk", VM{Disk: 10 * GiB}, 1024 * MiB, 2048 * MiB},
		{"set", VM{Disk: 40 * GiB, MinFree: 2 * GiB}, 2 * GiB, 4 * GiB},
		{"both set", VM{Disk: 40 * GiB, MinFree: 2 * GiB, MaxFree: 3 * GiB}, 2 * GiB, 3 * GiB},
	} {
		if got := tt.vm.MinFreeSize(); got != tt.wantMin {
			t.Errorf("%s: min_free %s, want %s", tt.name, got, tt.wantMin)
		}
		if got := tt.vm.MaxFreeSize(); got != tt.wantMax {
			t.Errorf("%s: max_free %s, want %s", tt.name, got, tt.wantMax)
		}
	}
	if h := hostMemory(); h > 0 {
		if got, want := (VM{}).MaxMemorySize(), Size(h/2)/MiB*MiB; got != want {
			t.Errorf("max_memory default %s, want half the host's RAM %s", got, want)
		}
	}
}

func TestFreeSpaceValidation(t *testing.T) {
	for _, tt := range []struct {
		toml, want string
	}{
		{"[vm]\nmin_free = \"50G\"\n", "vm.min_free"},
		{"[vm]\nmin_free = \"4G\"\nmax_free = \"1G\"\n", "vm.max_free"},
		{"[vm]\nmax_memory = \"100M\"\n", "vm.max_memory"},
	} {
		_, err := Parse(strings.NewReader(tt.toml), "t.toml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want an error naming %s", tt.toml, err, tt.want)
		}
	}
	if _, err := Parse(strings.NewReader("[vm]\nmin_free = \"2G\"\nmax_free = \"4G\"\nmax_memory = \"16G\"\nauto_grow = true\n"), "t.toml"); err != nil {
		t.Errorf("valid keys: %v", err)
	}
}
