package simulator

import (
	"testing"
	"time"
)

func TestRequestWindowKeepsTheLargestOneSecondCount(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var w requestWindow
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	for _, at := range []int{0, 100, 200, 900, 1000, 1100, 1950} {
		w.arrived("k", ms(at))
	}
	w.arrived("other", ms(1950)) // another key has its own window
	// (0.95s, 1.95s] holds 1000, 1100, 1950; (0s, 1s] holds 100, 200, 900, 1000: four.
	if got := w.stats(); got.MaxInOneSecond != 4 || got.Total != 8 {
		t.Errorf("stats = %+v, want max 4 of 8", got)
	}
}
