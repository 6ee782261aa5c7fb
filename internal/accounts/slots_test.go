package accounts

import "testing"

func TestSlotsAdmit(t *testing.T) {
	for _, tc := range []struct {
		inside, limit int
		saturated     bool
		want          bool
	}{
		{0, 2, true, true},
		{1, 2, true, true},
		{2, 2, true, false}, // saturated and full: the worker serves another account
		{5, 2, false, true}, // not saturated: no limit, a single account keeps all workers
	} {
		if got := admits(tc.inside, tc.limit, tc.saturated); got != tc.want {
			t.Errorf("admits(%d, %d, %v) = %v, want %v", tc.inside, tc.limit, tc.saturated, got, tc.want)
		}
	}
}

func TestEnterWithoutAClientAdmits(t *testing.T) {
	release, ok := (&Clients{}).Enter(nil)
	if !ok {
		t.Fatal("refused")
	}
	release()
}
