package dodo

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/utils/clock"
)

// DefaultBackgroundShare is the share of the rate background calls may use by default:
// a resync that reads in pages of 100 needs far less, and the rest stays free for money
// calls and new objects.
const DefaultBackgroundShare = 0.5

// DefaultMaxPerSecond is Dodo's documented burst: no one-second window above it.
const DefaultMaxPerSecond = 10

// BudgetConfig configures the per-key budget.
type BudgetConfig struct {
	// Rate is the total rate (requests/s), never exceeded; rate.Inf admits everything.
	Rate  rate.Limit
	Burst int
	// BackgroundShare caps background calls at this share of Rate (0 < share <= 1).
	BackgroundShare float64
	// MaxPerSecond caps requests in any one-second window (0: no cap).
	MaxPerSecond int
	// Key labels the metrics: a fingerprint of the API key, never the key.
	Key string
}

// Budget spends one API key's request rate by priority class: critical calls first, then
// interactive, then background within its share. It decides with explicit times from its
// clock (golang.org/x/time/rate underneath), so tests drive it with a fake clock.
type Budget struct {
	cfg   BudgetConfig
	clock clock.WithDelayedExecution

	mu         sync.Mutex
	total      *rate.Limiter
	background *rate.Limiter
	current    float64 // the adaptive rate, <= cfg.Rate
	changedAt  time.Time
	paused     time.Time // no grant before this (a 429's Retry-After)
	latest     time.Time // the latest time dispatch ran at
	recent     []time.Time
	minute     []time.Time
	queues     [numPriorities][]*budgetWaiter
	timer      clock.Timer
	timerAt    time.Time
	wakes      sync.WaitGroup // timer wake-ups fired and not yet finished (tests wait on it)
	metrics    *budgetMetrics
}

type budgetWaiter struct {
	ready chan struct{}
}

// NewBudget builds a budget on clk (the real clock when nil).
func NewBudget(cfg BudgetConfig, clk clock.WithDelayedExecution) *Budget {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if cfg.BackgroundShare <= 0 || cfg.BackgroundShare > 1 {
		cfg.BackgroundShare = DefaultBackgroundShare
	}
	now := clk.Now()
	b := &Budget{cfg: cfg, clock: clk, total: rate.NewLimiter(cfg.Rate, max(cfg.Burst, 1)),
		current: float64(cfg.Rate), changedAt: now, metrics: noBudgetMetrics()}
	if cfg.Rate != rate.Inf {
		b.background = rate.NewLimiter(cfg.Rate*rate.Limit(cfg.BackgroundShare), 1)
	}
	return b
}

// Wait blocks until the budget admits one call of the context's class (interactive when
// unset). It fails only before anything is sent.
func (b *Budget) Wait(ctx context.Context) error {
	class, ok := PriorityFrom(ctx)
	if !ok {
		class = PriorityInteractive
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := b.clock.Now()
	w := &budgetWaiter{ready: make(chan struct{})}
	b.mu.Lock()
	b.queues[class] = append(b.queues[class], w)
	b.dispatchLocked(start)
	b.mu.Unlock()
	select {
	case <-w.ready:
		b.metrics.waited(class, b.clock.Since(start))
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		b.removeLocked(class, w)
		b.mu.Unlock()
		// Even when granted meanwhile: the token is spent, but a call whose context is
		// done must not start (it could look sent and make a write's outcome unknown).
		return ctx.Err()
	}
}

// useMetrics binds the budget's series.
func (b *Budget) useMetrics(m *budgetMetrics) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.metrics = m
	m.rate.Set(b.current)
}

// Throttled records a 429: no grant until retryAfter has passed (a second when Dodo gave
// no hint), and the rate shrinks until quiet periods bring it back.
func (b *Budget) Throttled(retryAfter time.Duration) {
	if b.cfg.Rate == rate.Inf {
		return // no client-side limit configured
	}
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.metrics.throttled.Inc()
	if until := now.Add(retryAfter); until.After(b.paused) {
		b.paused = until
	}
	b.setRateLocked(now, throttledRate(b.current, float64(b.cfg.Rate)))
	b.dispatchLocked(now)
}

func (b *Budget) setRateLocked(now time.Time, r float64) {
	b.current, b.changedAt = r, now
	b.total.SetLimitAt(now, rate.Limit(r))
	if b.background != nil {
		b.background.SetLimitAt(now, rate.Limit(r*b.cfg.BackgroundShare))
	}
	b.metrics.rate.Set(r)
}

// recoverLocked grows a shrunk rate back, one step per quiet period.
func (b *Budget) recoverLocked(now time.Time) {
	configured := float64(b.cfg.Rate)
	if b.cfg.Rate == rate.Inf || b.current >= configured {
		return
	}
	if quiet := now.Sub(b.changedAt); quiet >= recoverPeriod {
		b.setRateLocked(now, recoveredRate(b.current, configured, quiet))
	}
}

// dispatchLocked grants tokens to waiters in class order while the budget allows, and
// arms a timer for the moment it next can.
func (b *Budget) dispatchLocked(now time.Time) {
	if now.Before(b.latest) {
		now = b.latest // grant times stay ordered for the window
	}
	b.latest = now
	b.recoverLocked(now)
	for {
		waiting := b.waitingLocked()
		bgWait := b.backgroundWaitLocked(now)
		class, ok := pick(waiting, bgWait <= 0)
		if !ok {
			if waiting[PriorityBackground] > 0 {
				b.armLocked(now, bgWait)
			}
			b.metrics.setWaiting(waiting)
			return
		}
		if wait := b.readyInLocked(now); wait > 0 {
			b.armLocked(now, wait)
			b.metrics.setWaiting(waiting)
			return
		}
		b.grantLocked(now, class)
	}
}

// Waiting is how many calls wait for the budget now: above zero, the key's rate limit is
// the bottleneck, and more concurrent callers only wait longer.
func (b *Budget) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, q := range b.queues {
		n += len(q)
	}
	return n
}

func (b *Budget) waitingLocked() [numPriorities]int {
	var n [numPriorities]int
	for p := range n {
		n[p] = len(b.queues[p])
	}
	return n
}

// readyInLocked is how long until the total rate, the one-second window and a 429's
// pause all allow one more request.
func (b *Budget) readyInLocked(now time.Time) time.Duration {
	b.recent = b.recent[firstInWindow(b.recent, now):]
	wait := max(b.paused.Sub(now), windowWait(b.recent, now, b.cfg.MaxPerSecond))
	return max(wait, tokenWait(b.total, now))
}

func (b *Budget) backgroundWaitLocked(now time.Time) time.Duration {
	if b.background == nil {
		return 0
	}
	return tokenWait(b.background, now)
}

// tokenWait is how long until lim holds one whole token.
func tokenWait(lim *rate.Limiter, now time.Time) time.Duration {
	tokens := lim.TokensAt(now)
	if tokens >= 1 || lim.Limit() == rate.Inf {
		return 0
	}
	seconds := (1 - tokens) / float64(lim.Limit())
	return time.Duration(math.Ceil(seconds * float64(time.Second)))
}

func (b *Budget) grantLocked(now time.Time, class Priority) {
	b.total.AllowN(now, 1)
	if class == PriorityBackground && b.background != nil {
		b.background.AllowN(now, 1)
	}
	b.recent = append(b.recent, now)
	b.minute = append(b.minute[firstAfter(b.minute, now.Add(-time.Minute)):], now)
	w := b.queues[class][0]
	b.queues[class] = b.queues[class][1:]
	close(w.ready)
	b.metrics.granted(class, len(b.minute), b.current)
}

// firstAfter is the index of the first time after t.
func firstAfter(times []time.Time, t time.Time) int {
	i := 0
	for i < len(times) && !times[i].After(t) {
		i++
	}
	return i
}

func (b *Budget) armLocked(now time.Time, wait time.Duration) {
	at := now.Add(wait)
	if b.timer != nil && !b.timerAt.After(at) {
		return // an earlier wake-up is set; it re-arms if still needed
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.timerAt = at
	b.timer = b.clock.AfterFunc(wait, func() {
		// In a goroutine: a fake clock runs this callback under its own lock, which
		// re-arming would take again. The armed time stands for now for the same reason
		// (the real clock runs it at or after at; dispatch keeps times monotonic).
		b.wakes.Add(1)
		go func() {
			defer b.wakes.Done()
			b.mu.Lock()
			defer b.mu.Unlock()
			b.timer = nil
			b.dispatchLocked(at)
		}()
	})
}

func (b *Budget) removeLocked(class Priority, w *budgetWaiter) {
	q := b.queues[class]
	for i, other := range q {
		if other == w {
			b.queues[class] = append(q[:i:i], q[i+1:]...)
			return
		}
	}
}

// budgetFor builds a client's budget from its config.
func budgetFor(cfg Config, key string) *Budget {
	perSecond := cfg.MaxPerSecond
	if perSecond == 0 {
		perSecond = DefaultMaxPerSecond
	}
	// A rate configured above the window cap (a local simulator, a raised account limit)
	// is not Dodo's documented limit: the window cap would silently lower it.
	if cfg.RateLimit == rate.Inf || float64(cfg.RateLimit) > float64(perSecond) || perSecond < 0 {
		perSecond = 0
	}
	burst := cfg.Burst
	if perSecond > 0 {
		burst = min(burst, perSecond)
	}
	return NewBudget(BudgetConfig{Rate: cfg.RateLimit, Burst: burst, BackgroundShare: cfg.BackgroundShare,
		MaxPerSecond: perSecond, Key: key}, nil)
}
