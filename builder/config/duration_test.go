package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"0", 0, false},
		{"500ms", 500 * time.Millisecond, false},
		{"30s", 30 * time.Second, false},
		{"30m", 30 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{" 2h ", 2 * time.Hour, false},
		{"-1s", -time.Second, false}, // the rules of each key reject it
		{"", 0, true},
		{"5", 0, true},
		{"5 min", 0, true},
		{"2d", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got.D(), err, tt.want, tt.wantErr)
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0"},
		{500 * time.Millisecond, "500ms"},
		{5 * time.Second, "5s"},
		{30 * time.Minute, "30m"},
		{2 * time.Hour, "2h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{90 * time.Second, "1m30s"},
	}
	for _, tt := range tests {
		d := Duration(tt.in)
		if got := d.String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
		}
		b, err := d.MarshalText()
		var back Duration
		if err != nil || back.UnmarshalText(b) != nil || back != d {
			t.Errorf("Duration(%v) does not round-trip through %q: got %v", tt.in, b, back.D())
		}
	}
	var d Duration
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error("UnmarshalText(soon) succeeded")
	}
}
