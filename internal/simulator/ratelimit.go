package simulator

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/utils/clock"
)

// rateLimiter limits API requests per API key, like Dodo's documented
// per-key limit. Times come from the wall clock so tests can drive it.
type rateLimiter struct {
	perMinute int
	burst     int
	wall      clock.PassiveClock

	mu    sync.Mutex
	byKey map[string]*rate.Limiter
}

func newRateLimiter(perMinute, burst int, wall clock.PassiveClock) *rateLimiter {
	return &rateLimiter{perMinute: perMinute, burst: burst, wall: wall, byKey: map[string]*rate.Limiter{}}
}

// allow takes a token for key. When none is left it returns false and how
// long until one is, for the Retry-After header.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	if l.perMinute <= 0 {
		l.mu.Unlock()
		return true, 0
	}
	lim, ok := l.byKey[key]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.burst)
		l.byKey[key] = lim
	}
	l.mu.Unlock()
	now := l.wall.Now()
	reservation := lim.ReserveN(now, 1)
	if !reservation.OK() {
		return false, time.Minute
	}
	delay := reservation.DelayFrom(now)
	if delay == 0 {
		return true, 0
	}
	reservation.CancelAt(now)
	return false, delay
}

// set changes the limit from now on (0 = off); every key starts with a full burst.
func (l *rateLimiter) set(perMinute, burst int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.perMinute, l.burst = perMinute, max(burst, 1)
	l.byKey = map[string]*rate.Limiter{}
}

// SetRateLimit changes the per-key limit at run time (0 = off; burst defaults to
// min(10, perMinute)): a benchmark seeds thousands of subscriptions unlimited, then
// measures under Dodo's limit.
func (s *Simulator) SetRateLimit(perMinute, burst int) {
	if burst <= 0 {
		burst = min(10, max(perMinute, 1))
	}
	s.limiter.set(perMinute, burst)
}

// retryAfterSeconds rounds a wait up to whole seconds (at least 1).
func retryAfterSeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}
