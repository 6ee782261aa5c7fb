package dodo

import "time"

// The budget's decisions, as pure functions of its state so they are table-tested
// without clocks or goroutines (budget.go applies them).

// pick returns the class to serve next: the most urgent class with a waiter, except that
// background waits while its share is spent (backgroundAdmitted false). Strict priority
// is safe from starvation because background has its own share: the total rate is
// always above it.
func pick(waiting [numPriorities]int, backgroundAdmitted bool) (Priority, bool) {
	for p := PriorityCritical; p < numPriorities; p++ {
		if waiting[p] == 0 || (p == PriorityBackground && !backgroundAdmitted) {
			continue
		}
		return p, true
	}
	return 0, false
}

// windowWait is how long until one more request fits in every one-second window with at
// most limit requests, given the grant times of the last second (oldest first). Dodo
// documents bursts up to 10 requests per second; a token bucket alone allows its burst
// plus its rate within one second. limit <= 0 means no window limit.
func windowWait(recent []time.Time, now time.Time, limit int) time.Duration {
	if limit <= 0 {
		return 0
	}
	inWindow := recent[firstInWindow(recent, now):]
	if len(inWindow) < limit {
		return 0
	}
	// The grant limit places back leaves the window one second after it was made.
	return inWindow[len(inWindow)-limit].Add(time.Second).Sub(now)
}

// firstInWindow is the index of the first grant less than a second before now.
func firstInWindow(recent []time.Time, now time.Time) int {
	i := 0
	for i < len(recent) && !recent[i].After(now.Add(-time.Second)) {
		i++
	}
	return i
}

// Adaptive rate after a 429: Dodo's real limit can be below the configured one (another
// process using the key, a lower limit on the account), so the rate halves at once and
// grows back by a tenth of the configured rate per quiet period: multiplicative decrease,
// additive increase, as TCP does for the same reason.
const (
	minRateShare  = 0.1
	recoverShare  = 0.1
	recoverPeriod = 30 * time.Second
)

// throttledRate is the rate after a 429.
func throttledRate(current, configured float64) float64 {
	return max(current/2, configured*minRateShare)
}

// recoveredRate is the rate after quiet time without a 429 since the last change.
func recoveredRate(current, configured float64, quiet time.Duration) float64 {
	steps := float64(quiet / recoverPeriod)
	return min(configured, current+steps*configured*recoverShare)
}
