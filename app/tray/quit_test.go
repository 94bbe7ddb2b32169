package tray

import (
	"testing"
	"time"
)

func TestQuitWithin(t *testing.T) {
	if !quitWithin(func() {}, time.Second) {
		t.Error("a quick quit was reported late")
	}
	start := time.Now()
	block := make(chan struct{})
	defer close(block)
	if quitWithin(func() { <-block }, 50*time.Millisecond) {
		t.Error("a hanging quit was reported in time")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("quitWithin waited %v for a hanging quit, want about 50ms", took)
	}
}

func TestSlotCount(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{0, 8}, {4, 8}, {5, 9}, {20, 24}} {
		if got := slotCount(tc.n); got != tc.want || got <= tc.n {
			t.Errorf("slotCount(%d) = %d, want %d (always more than n)", tc.n, got, tc.want)
		}
	}
}
