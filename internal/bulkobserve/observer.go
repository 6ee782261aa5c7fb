// Package bulkobserve reads every subscription of an API key in pages of 100 and shares
// the result: Dodo allows 100 requests per minute per key, so a resync that reads each
// subscription on its own stops keeping up at a few thousand subscriptions, while one
// scan of N subscriptions costs N/100 calls. One Observer per key; N reconciles in one
// resync interval share one scan.
package bulkobserve

import (
	"context"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Lister reads one page of subscriptions (*dodo.Client).
type Lister interface {
	ListSubscriptions(ctx context.Context, params dodo.ListSubscriptionsParams) ([]dodo.SubscriptionListItem, error)
}

// Options tune the observer; zero values take the defaults.
type Options struct {
	// MaxAge is how old a scan may be and still answer a lookup that has not seen it yet
	// (default 1h, the default resync interval). As long as the resync interval, so that
	// objects last read at different times all take the next scan and fall into one
	// phase: one scan per interval. A shorter MaxAge keeps them in several phases, a scan
	// for each.
	MaxAge time.Duration
	// WindowPages is how many pages a created_at window is planned to hold (default 20):
	// page numbers stay small, so a server-side cap on them never bites.
	WindowPages int
	// RetryAfter is how long after a failed scan the next one starts (default 30s).
	RetryAfter time.Duration
	// Inline makes a lookup that starts a scan wait for it, so a harness that runs
	// reconciles one by one on a fake clock stays deterministic. The operator leaves it
	// off: a scan waits for the background budget, and workers must not.
	Inline bool
}

func (o Options) withDefaults() Options {
	if o.MaxAge <= 0 {
		o.MaxAge = time.Hour
	}
	if o.WindowPages <= 0 {
		o.WindowPages = 20
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 30 * time.Second
	}
	return o
}

// State is what a lookup found.
type State int

const (
	// Listed means a fresh scan lists the subscription.
	Listed State = iota
	// NotListed means a fresh scan does not list it (created since, or a lagging list): the
	// caller reads it on its own.
	NotListed
	// Pending means no scan is fresh enough yet; one is running (or starts after a failure's
	// wait). Come back later.
	Pending
)

// scan is one complete read of every page.
type scan struct {
	at    time.Time // when it started: every item is at least this fresh
	items map[string]dodo.SubscriptionListItem
	// created holds every item's created_at, sorted: the next scan's windows.
	created []time.Time
}

// Observer shares scans of one API key's subscriptions.
type Observer struct {
	lister Lister
	clock  clock.PassiveClock
	opts   Options

	mu       sync.Mutex
	ctx      context.Context
	last     *scan
	running  bool
	started  time.Time     // of the running scan
	took     time.Duration // how long the last complete scan took
	failedAt time.Time
	done     chan struct{} // closed when the running scan ends (tests wait on it)
	metrics  *metrics
}

// New builds an Observer. clk may be nil (the real clock).
func New(lister Lister, clk clock.PassiveClock, opts Options) *Observer {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Observer{lister: lister, clock: clk, opts: opts.withDefaults(), metrics: noMetrics()}
}

// Start records the context scans run under and blocks until it ends (manager.Runnable).
func (o *Observer) Start(ctx context.Context) error {
	o.mu.Lock()
	o.ctx = ctx
	o.mu.Unlock()
	<-ctx.Done()
	return nil
}

// NeedLeaderElection is false: scans are started by reconciles, which only the leader runs.
func (o *Observer) NeedLeaderElection() bool { return false }

// Lookup answers for one subscription from a scan that started after newerThan (the
// caller's last observation) and is at most MaxAge old. Without one it starts a scan and
// answers Pending.
func (o *Observer) Lookup(id string, newerThan time.Time) (dodo.SubscriptionListItem, time.Time, State) {
	item, at, state := o.lookup(id, newerThan, true)
	if state == Pending && o.opts.Inline {
		o.WaitScan()
		return o.lookup(id, newerThan, false)
	}
	return item, at, state
}

func (o *Observer) lookup(id string, newerThan time.Time, start bool) (dodo.SubscriptionListItem, time.Time, State) {
	now := o.clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if s := o.last; s != nil && s.at.After(newerThan) && now.Sub(s.at) <= o.opts.MaxAge {
		item, ok := s.items[id]
		if !ok {
			return item, s.at, NotListed
		}
		return item, s.at, Listed
	}
	if start {
		o.startLocked(now)
	}
	return dodo.SubscriptionListItem{}, time.Time{}, Pending
}

// Age is how old the last complete scan is (false before the first).
func (o *Observer) Age() (time.Duration, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.last == nil {
		return 0, false
	}
	return o.clock.Since(o.last.at), true
}

func (o *Observer) startLocked(now time.Time) {
	if o.running || (!o.failedAt.IsZero() && now.Sub(o.failedAt) < o.opts.RetryAfter) {
		return
	}
	ctx := o.ctx
	if ctx == nil {
		ctx = context.Background() // not started as a runnable (tests)
	}
	o.running, o.started = true, now
	o.done = make(chan struct{})
	var previous []time.Time
	if o.last != nil {
		previous = o.last.created
	}
	go o.run(ctx, now, planWindows(previous, o.opts.WindowPages*pageSize), o.done)
}

func (o *Observer) run(ctx context.Context, start time.Time, windows []window, done chan struct{}) {
	defer close(done)
	s, pages, err := o.read(dodo.WithPriority(ctx, dodo.PriorityBackground), start, windows)
	end := o.clock.Now()
	// Outside o.mu: the registry calls the age gauge (which takes o.mu) while holding a
	// vector's lock that the counter may need.
	o.metrics.scanned(pages, end.Sub(start), err)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.running = false
	if err != nil {
		o.failedAt = end
		return
	}
	o.failedAt = time.Time{}
	o.last, o.took = s, end.Sub(start)
}

// NextIn is when a lookup answered Pending should come back: when the running scan
// should end (as long as the last one took), or when a failed one is retried. Polling
// sooner would only spend reconciles: 10,000 objects waiting on one scan.
func (o *Observer) NextIn() time.Duration {
	now := o.clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.running && o.took == 0:
		// The first scan: its length is unknown. Coming back after as long as it has run
		// so far doubles the wait each time: a handful of polls per object, not one per
		// second (polling every second, the benchmark's 10,000 objects made about 120,000
		// reconciles during their first scan).
		return max(now.Sub(o.started), time.Second)
	case o.running:
		return max(o.took-now.Sub(o.started), time.Second)
	case !o.failedAt.IsZero():
		return max(o.opts.RetryAfter-now.Sub(o.failedAt), time.Second)
	}
	return time.Second
}

// WaitScan blocks until the running scan (if any) ends: tests and benchmarks use it to
// stay deterministic.
func (o *Observer) WaitScan() {
	o.mu.Lock()
	done := o.done
	o.mu.Unlock()
	if done != nil {
		<-done
	}
}
