package simulator

import (
	"sync"
	"time"
)

// requestWindow counts API requests per key in a sliding one-second window and keeps the
// largest count seen: Dodo documents bursts of at most 10 requests per second, and a
// benchmark proves a client stays under it by reading this at the simulator, not by
// trusting the client.
type requestWindow struct {
	mu     sync.Mutex
	recent map[string][]time.Time
	max    int
	total  int
	// limited counts requests answered 429.
	limited int
}

// arrived records a request of key at now (wall clock).
func (w *requestWindow) arrived(key string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.recent == nil {
		w.recent = map[string][]time.Time{}
	}
	times := w.recent[key]
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-time.Second)) {
		cut++
	}
	times = append(times[cut:], now)
	w.recent[key] = times
	w.total++
	w.max = max(w.max, len(times))
}

func (w *requestWindow) refused() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limited++
}

// RequestStats is the body of GET /_simulator/requests.
type RequestStats struct {
	// Total counts authenticated API requests, 429s included.
	Total int `json:"total"`
	// MaxInOneSecond is the most requests of one key seen in any one-second window.
	MaxInOneSecond int `json:"max_in_one_second"`
	// RateLimited counts requests answered 429 by the per-key limit.
	RateLimited int `json:"rate_limited"`
}

func (w *requestWindow) stats() RequestStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return RequestStats{Total: w.total, MaxInOneSecond: w.max, RateLimited: w.limited}
}

// RequestStats reports the API requests seen since the start or the last reset (see
// requestWindow).
func (s *Simulator) RequestStats() RequestStats { return s.requests.stats() }

// ResetRequestStats starts counting again: a benchmark measures after its own seeding.
func (s *Simulator) ResetRequestStats() {
	s.requests.mu.Lock()
	defer s.requests.mu.Unlock()
	s.requests.recent, s.requests.max, s.requests.total, s.requests.limited = nil, 0, 0, 0
}
