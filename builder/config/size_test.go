package config

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"0", 0},
		{"1048576", MiB},
		{"100B", 100},
		{"100b", 100},
		{"8G", 8 * GiB},
		{"8g", 8 * GiB},
		{"8GB", 8 * GiB},
		{"8GiB", 8 * GiB},
		{"8gib", 8 * GiB},
		{"512M", 512 * MiB},
		{"512MB", 512 * MiB},
		{"512MiB", 512 * MiB},
		{"64K", 64 * KiB},
		{"64kB", 64 * KiB},
		{"64KiB", 64 * KiB},
		{"1.5G", 1536 * MiB},
		{"0.5M", 512 * KiB},
		{"1.1K", 1126}, // 1126.4 bytes, rounded down as Multipass does
		{" 4G ", 4 * GiB},
		{"007G", 7 * GiB},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeRejects(t *testing.T) {
	for _, in := range []string{"", "8X", "G", "-1G", "1.5", "1.5B", "8 G", "8T", "1e9", "0x10", "9223372036854775808", "9000000000G", "8GG", "8iB"} {
		got, err := ParseSize(in)
		if err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "K, M or G") && !strings.Contains(err.Error(), "too large") {
			t.Errorf("ParseSize(%q) error %q gives no hint", in, err)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0"},
		{100, "100"},
		{KiB, "1K"},
		{1536, "1536"},
		{512 * MiB, "512M"},
		{1536 * MiB, "1536M"},
		{8 * GiB, "8G"},
		{1024 * GiB, "1024G"},
		{GiB + 1, "1073741825"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		// The rendering must read back to the same number of bytes.
		if back, err := ParseSize(tt.in.String()); err != nil || back != tt.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in.String(), back, err, int64(tt.in))
		}
	}
}

func TestSizeHumanString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0 B"},
		{100, "100 B"},
		{1536, "1.5 KiB"},
		{512 * MiB, "512 MiB"},
		{1536 * MiB, "1.5 GiB"},
		{8 * GiB, "8 GiB"},
		{GiB + GiB/3, "1.33 GiB"},
	}
	for _, tt := range tests {
		if got := tt.in.HumanString(); got != tt.want {
			t.Errorf("Size(%d).HumanString() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestSizeText(t *testing.T) {
	var s Size
	if err := s.UnmarshalText([]byte("1.5G")); err != nil || s != 1536*MiB {
		t.Fatalf("UnmarshalText(1.5G) = %d, %v", s, err)
	}
	if b, err := s.MarshalText(); err != nil || string(b) != "1536M" {
		t.Errorf("MarshalText = %q, %v; want 1536M", b, err)
	}
	if err := s.UnmarshalText([]byte("8X")); err == nil || s != 1536*MiB {
		t.Errorf("UnmarshalText(8X) = %v and changed the size to %d; want an error and no change", err, s)
	}
	if s.Bytes() != 1536<<20 {
		t.Errorf("Bytes = %d", s.Bytes())
	}
}
