package unanswered

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
)

var t0 = time.Date(2026, 11, 2, 13, 10, 0, 0, time.UTC)

func TestSentByIsTheLatestPossibleSendTime(t *testing.T) {
	cases := map[string]struct {
		started, ended time.Time
		want           time.Time
	}{
		"MarkerOnly":              {want: t0},
		"ProcessStartedAfter":     {started: t0.Add(time.Minute), want: t0.Add(time.Minute)},
		"CallEndedAfterTheMarker": {started: t0.Add(-time.Hour), ended: t0.Add(40 * time.Second), want: t0.Add(40 * time.Second)},
		"EndedBeforeStartIgnored": {started: t0.Add(2 * time.Minute), ended: t0.Add(time.Minute), want: t0.Add(2 * time.Minute)},
		"EarlierThingsNeverCount": {started: t0.Add(-time.Hour), ended: t0.Add(-time.Minute), want: t0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tr := &Tracker{}
			if !tc.started.IsZero() {
				tr.Start(tc.started)
				tr.Start(tc.started.Add(time.Hour)) // only the first start counts
			}
			if !tc.ended.IsZero() {
				tr.Ended("uid", tc.ended)
			}
			if got := tr.SentBy("uid", t0); !got.Equal(tc.want) {
				t.Fatalf("SentBy = %v, want %v", got, tc.want)
			}
			tr.Forget("uid")
			if got := tr.SentBy(types.UID("uid"), t0); got.Before(tc.started) || (tc.started.IsZero() && !got.Equal(t0)) {
				t.Fatalf("after Forget: %v", got)
			}
		})
	}
}

func TestWindowsNext(t *testing.T) {
	w := Windows{Settle: 30 * time.Second, AbsentAfter: 5 * time.Minute}
	cases := map[string]struct {
		after  time.Duration
		looked bool
		step   Step
		wait   time.Duration
	}{
		"TooEarlyToLook":         {10 * time.Second, false, Wait, 20 * time.Second},
		"LookAfterSettle":        {30 * time.Second, false, Look, 0},
		"EmptyTooEarlyToBelieve": {time.Minute, true, Wait, 30 * time.Second},
		"EmptyNearlyBelieved":    {4*time.Minute + 50*time.Second, true, Wait, 10 * time.Second},
		"EmptyBelieved":          {5 * time.Minute, true, Absent, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			step, wait := w.Next(t0, t0.Add(tc.after), tc.looked)
			if step != tc.step || wait != tc.wait {
				t.Fatalf("Next = %v %v, want %v %v", step, wait, tc.step, tc.wait)
			}
		})
	}
}

func TestWindowsWithDefaults(t *testing.T) {
	cases := map[string]struct{ in, want Windows }{
		"Unset":                   {Windows{}, Windows{Settle: DefaultSettle, AbsentAfter: DefaultAbsentAfter}},
		"Set":                     {Windows{Settle: time.Second, AbsentAfter: time.Minute}, Windows{Settle: time.Second, AbsentAfter: time.Minute}},
		"AbsentShorterThanSettle": {Windows{Settle: time.Hour, AbsentAfter: time.Minute}, Windows{Settle: time.Hour, AbsentAfter: time.Hour}},
		"OnlySettleLonger":        {Windows{Settle: 10 * time.Minute}, Windows{Settle: 10 * time.Minute, AbsentAfter: 10 * time.Minute}},
	}
	for name, tc := range cases {
		if diff := cmp.Diff(tc.want, tc.in.WithDefaults()); diff != "" {
			t.Errorf("%s: %+v.WithDefaults() (-want +got):\n%s", name, tc.in, diff)
		}
	}
}
