package bulkobserve

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeLister serves items sorted by created_at, filtered and paged like Dodo.
type fakeLister struct {
	mu    sync.Mutex
	items []dodo.SubscriptionListItem
	calls int
	fail  error
}

func (f *fakeLister) ListSubscriptions(_ context.Context, p dodo.ListSubscriptionsParams) ([]dodo.SubscriptionListItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	var kept []dodo.SubscriptionListItem
	for _, it := range f.items {
		if (p.CreatedAtGTE == nil || !it.CreatedAt.Before(*p.CreatedAtGTE)) && (p.CreatedAtLTE == nil || !it.CreatedAt.After(*p.CreatedAtLTE)) {
			kept = append(kept, it)
		}
	}
	from := min(*p.PageNumber*p.PageSize, len(kept))
	return kept[from:min(from+p.PageSize, len(kept))], nil
}

func listerWith(n int) *fakeLister {
	f := &fakeLister{}
	for i := range n {
		f.items = append(f.items, dodo.SubscriptionListItem{SubscriptionID: fmt.Sprint("sub_", i),
			CreatedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	return f
}

func TestPlanWindows(t *testing.T) {
	created := make([]time.Time, 0, 250)
	for i := range 250 {
		created = append(created, t0.Add(time.Duration(i)*time.Second))
	}
	tests := []struct {
		name      string
		created   []time.Time
		perWindow int
		want      string
	}{
		{"first scan: one open window", nil, 100, "[(open,open)]"},
		{"under one window", created[:99], 100, "[(open,open)]"},
		{"split every 100", created, 100, "[(open,100) (100,200) (200,open)]"},
		{"equal times never make an empty window", []time.Time{t0, t0, t0, t0}, 1, "[(open,0) (0,open)]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(planWindows(tt.created, tt.perWindow)); got != tt.want {
				t.Errorf("planWindows = %s, want %s", got, tt.want)
			}
		})
	}
}

func describe(ws []window) string {
	end := func(p *time.Time) string {
		if p == nil {
			return "open"
		}
		return fmt.Sprint(int(p.Sub(t0).Seconds()))
	}
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, "("+end(w.gte)+","+end(w.lte)+")")
	}
	return fmt.Sprint(out)
}

func TestOneScanServesEveryLookupWhileFresh(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0.Add(time.Hour))
	lister := listerWith(250)
	o := New(lister, clk, Options{MaxAge: 10 * time.Minute, WindowPages: 1})
	if _, _, st := o.Lookup("sub_1", time.Time{}); st != Pending {
		t.Fatalf("first lookup = %v, want Pending", st)
	}
	o.WaitScan()
	if lister.calls != 3 {
		t.Fatalf("first scan made %d calls, want 3 (250 items, pages of 100)", lister.calls)
	}
	for i := range 250 {
		if _, at, st := o.Lookup(fmt.Sprint("sub_", i), time.Time{}); st != Listed || !at.Equal(t0.Add(time.Hour)) {
			t.Fatalf("sub_%d: %v at %v", i, st, at)
		}
	}
	if _, _, st := o.Lookup("sub_new", time.Time{}); st != NotListed {
		t.Errorf("unknown ID = %v, want NotListed", st)
	}
	if lister.calls != 3 {
		t.Errorf("lookups made calls: %d", lister.calls)
	}
	// A second scan reads in windows planned from the first (100 per window): page
	// numbers stay at 0 and 1 however many subscriptions there are.
	clk.Step(11 * time.Minute)
	if _, _, st := o.Lookup("sub_1", time.Time{}); st != Pending {
		t.Fatalf("stale scan answered: %v", st)
	}
	o.WaitScan()
	if lister.calls != 3+5 {
		t.Errorf("second scan made %d calls, want 5 (windows of 100, 100, 50 plus their short pages)", lister.calls-3)
	}
}

func TestScanOlderThanTheCallersObservationIsNotUsed(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	lister := listerWith(5)
	o := New(lister, clk, Options{MaxAge: time.Hour})
	o.Lookup("sub_1", time.Time{})
	o.WaitScan()
	if _, _, st := o.Lookup("sub_1", t0); st != Pending {
		t.Errorf("a scan no newer than the caller's last observation answered: %v", st)
	}
	o.WaitScan()
}

func TestFailedScanWaitsBeforeTheNext(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	lister := listerWith(5)
	lister.fail = errors.New("429")
	o := New(lister, clk, Options{RetryAfter: time.Minute})
	o.Lookup("sub_1", time.Time{})
	o.WaitScan()
	o.Lookup("sub_1", time.Time{})
	o.WaitScan()
	if lister.calls != 1 {
		t.Fatalf("calls %d: a failed scan was retried at once", lister.calls)
	}
	lister.fail = nil
	clk.Step(time.Minute)
	o.Lookup("sub_1", time.Time{})
	o.WaitScan()
	if _, _, st := o.Lookup("sub_1", time.Time{}); st != Listed {
		t.Errorf("after the retry wait: %v", st)
	}
}

// blockingLister holds every page until released.
type blockingLister struct {
	*fakeLister
	release chan struct{}
}

func (b blockingLister) ListSubscriptions(ctx context.Context, p dodo.ListSubscriptionsParams) ([]dodo.SubscriptionListItem, error) {
	<-b.release
	return b.fakeLister.ListSubscriptions(ctx, p)
}

func TestNextInFollowsTheScan(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	lister := blockingLister{fakeLister: listerWith(5), release: make(chan struct{})}
	o := New(lister, clk, Options{MaxAge: time.Minute})
	o.Lookup("sub_1", time.Time{})
	clk.Step(10 * time.Second)
	if got := o.NextIn(); got != 10*time.Second {
		t.Errorf("first scan, 10s in: NextIn = %v, want 10s (as long as it has run)", got)
	}
	clk.Step(20 * time.Second)
	close(lister.release)
	o.WaitScan() // took 30s
	clk.Step(2 * time.Minute)
	o.Lookup("sub_1", time.Time{})
	clk.Step(10 * time.Second)
	if got := o.NextIn(); got != 20*time.Second {
		t.Errorf("second scan, 10s in: NextIn = %v, want 20s (the last took 30s)", got)
	}
	o.WaitScan()
}
