package dodo

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestPick(t *testing.T) {
	tests := []struct {
		name      string
		waiting   [numPriorities]int
		bgAllowed bool
		want      Priority
		ok        bool
	}{
		{"nothing waits", [numPriorities]int{}, true, 0, false},
		{"critical before everything", [numPriorities]int{1, 3, 5}, true, PriorityCritical, true},
		{"interactive before background", [numPriorities]int{0, 1, 5}, true, PriorityInteractive, true},
		{"background when alone and within its share", [numPriorities]int{0, 0, 5}, true, PriorityBackground, true},
		{"background waits when its share is spent", [numPriorities]int{0, 0, 5}, false, 0, false},
		{"a spent share does not hold up critical", [numPriorities]int{2, 0, 5}, false, PriorityCritical, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pick(tt.waiting, tt.bgAllowed)
			if got != tt.want || ok != tt.ok {
				t.Errorf("pick = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestWindowWait(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		out := make([]time.Time, 0, len(ms))
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	tests := []struct {
		name   string
		recent []time.Time
		now    time.Time
		limit  int
		want   time.Duration
	}{
		{"no limit", at(0, 1, 2), t0.Add(3 * time.Millisecond), 0, 0},
		{"room left", at(0, 100), t0.Add(200 * time.Millisecond), 3, 0},
		{"full: wait for the oldest to leave", at(0, 100, 200), t0.Add(300 * time.Millisecond), 3, 700 * time.Millisecond},
		{"older than a second do not count", at(0, 400, 1200), t0.Add(1300 * time.Millisecond), 2, 100 * time.Millisecond},
		{"exactly a second old has left", at(0, 500), t0.Add(time.Second), 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := windowWait(tt.recent, tt.now, tt.limit); got != tt.want {
				t.Errorf("windowWait = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdaptiveRate(t *testing.T) {
	tests := []struct {
		name                 string
		current, configured  float64
		quiet                time.Duration
		throttled, recovered float64
	}{
		{"first 429 halves", 1.5, 1.5, 0, 0.75, 1.5},
		{"never below a tenth", 0.2, 1.5, 0, 0.15, 0.2},
		{"one quiet period adds a tenth", 0.75, 1.5, recoverPeriod, 0.375, 0.9},
		{"less than a period adds nothing", 0.75, 1.5, recoverPeriod - time.Second, 0.375, 0.75},
		{"never above the configured rate", 1.4, 1.5, 10 * recoverPeriod, 0.7, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := throttledRate(tt.current, tt.configured); fmt.Sprintf("%.3f", got) != fmt.Sprintf("%.3f", tt.throttled) {
				t.Errorf("throttledRate = %v, want %v", got, tt.throttled)
			}
			if got := recoveredRate(tt.current, tt.configured, tt.quiet); fmt.Sprintf("%.3f", got) != fmt.Sprintf("%.3f", tt.recovered) {
				t.Errorf("recoveredRate = %v, want %v", got, tt.recovered)
			}
		})
	}
}

// budgetRun starts waiters of the given classes one after the other (each queued before
// the next starts) and records the order the budget admits them in.
type budgetRun struct {
	t     *testing.T
	b     *Budget
	clock *clocktesting.FakeClock
	order chan string
	// returned counts the Wait calls that returned.
	returned atomic.Int32
}

func newBudgetRun(t *testing.T, cfg BudgetConfig) *budgetRun {
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return &budgetRun{t: t, b: NewBudget(cfg, clk), clock: clk, order: make(chan string, 100)}
}

func (r *budgetRun) start(name string, class Priority) {
	before := r.queued() + int(r.returned.Load())
	ctx := WithPriority(context.Background(), class)
	go func() {
		err := r.b.Wait(ctx)
		r.returned.Add(1)
		if err != nil {
			r.order <- name + ":" + err.Error()
			return
		}
		r.order <- name
	}()
	// Wait until it is queued or admitted, so the start order is the arrival order.
	for r.queued()+int(r.returned.Load()) <= before {
		runtime.Gosched()
	}
}

func (r *budgetRun) queued() int {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	n := 0
	for _, q := range r.b.queues {
		n += len(q)
	}
	return n
}

// step moves the clock and waits for the wake-ups it fired to finish.
func (r *budgetRun) step(d time.Duration) {
	r.clock.Step(d)
	r.b.wakes.Wait()
}

// admitted collects n admissions.
func (r *budgetRun) admitted(n int) []string {
	out := make([]string, 0, n)
	for range n {
		out = append(out, <-r.order)
	}
	return out
}

func TestBudgetServesCriticalBeforeABackgroundBacklog(t *testing.T) {
	r := newBudgetRun(t, BudgetConfig{Rate: 1, Burst: 1, BackgroundShare: 0.5, MaxPerSecond: 10})
	r.start("bg0", PriorityBackground) // takes the burst token
	if got := r.admitted(1); got[0] != "bg0" {
		t.Fatalf("first admission = %v", got)
	}
	r.start("bg1", PriorityBackground)
	r.start("bg2", PriorityBackground)
	r.start("interactive", PriorityInteractive)
	r.start("critical", PriorityCritical)
	// One token a second; each second's admission is read before the next, since two
	// admitted goroutines may report in either order.
	r.step(time.Second)
	first := r.admitted(1)
	r.step(time.Second)
	if got := fmt.Sprint(append(first, r.admitted(1)...)); got != "[critical interactive]" {
		t.Errorf("after 2s admitted %s, want [critical interactive]: the backlog arrived first but waits", got)
	}
	r.step(time.Second) // background's share (0.5/s) refills every 2s
	r.step(time.Second)
	if got := fmt.Sprint(r.admitted(1)); got != "[bg1]" {
		t.Errorf("then admitted %s, want [bg1]", got)
	}
}

func TestBudgetCapsBackgroundAtItsShare(t *testing.T) {
	r := newBudgetRun(t, BudgetConfig{Rate: 2, Burst: 2, BackgroundShare: 0.25, MaxPerSecond: 10})
	for i := range 4 {
		r.start(fmt.Sprint("bg", i), PriorityBackground)
	}
	r.admitted(1) // the background bucket's one token
	for range 4 {
		r.step(500 * time.Millisecond)
	}
	// 2s at 0.25 x 2/s = one more, although the total rate had room for four.
	if got := fmt.Sprint(r.admitted(1)); got != "[bg1]" || len(r.order) != 0 {
		t.Errorf("admitted %s (+%d more), want only [bg1]", got, len(r.order))
	}
}

func TestBudgetNeverAdmitsMoreThanTheWindowInOneSecond(t *testing.T) {
	r := newBudgetRun(t, BudgetConfig{Rate: 50, Burst: 50, MaxPerSecond: 10})
	for i := range 15 {
		r.start(fmt.Sprint("c", i), PriorityCritical)
	}
	r.admitted(10)
	if n := len(r.order); n != 0 {
		t.Fatalf("%d more admitted within the same second", n)
	}
	r.step(time.Second)
	r.admitted(5)
}

func TestBudgetPausesOnRetryAfterAndShrinks(t *testing.T) {
	r := newBudgetRun(t, BudgetConfig{Rate: 1, Burst: 1, MaxPerSecond: 10})
	r.b.Throttled(5 * time.Second)
	r.start("c", PriorityCritical)
	r.step(4 * time.Second)
	if n := len(r.order); n != 0 {
		t.Fatalf("admitted during Retry-After")
	}
	r.step(time.Second)
	r.admitted(1)
	if r.b.current != 0.5 {
		t.Errorf("rate after a 429 = %v, want 0.5", r.b.current)
	}
	r.step(recoverPeriod)
	r.start("d", PriorityCritical)
	r.admitted(1)
	if r.b.current != 0.6 {
		t.Errorf("rate after a quiet period = %v, want 0.6", r.b.current)
	}
}

func TestBudgetWaitHonoursContext(t *testing.T) {
	r := newBudgetRun(t, BudgetConfig{Rate: rate.Every(time.Hour), Burst: 1, MaxPerSecond: 10})
	if err := r.b.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.b.Wait(ctx); err == nil {
		t.Fatal("a cancelled wait was admitted")
	}
	if r.queued() != 0 {
		t.Error("a cancelled waiter stayed queued")
	}
}

func TestWritesAreAlwaysCritical(t *testing.T) {
	bg := WithPriority(context.Background(), PriorityBackground)
	if got := classOf(bg, "POST"); got != PriorityCritical {
		t.Errorf("POST in a background context = %v", got)
	}
	if got := classOf(bg, "GET"); got != PriorityBackground {
		t.Errorf("GET in a background context = %v", got)
	}
	if got := classOf(context.Background(), "GET"); got != PriorityInteractive {
		t.Errorf("GET without a class = %v", got)
	}
}
