package dodo

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff parameters, matching Dodo's SDKs (docs/dodo-api.md §2.4).
const (
	backoffBase = 500 * time.Millisecond
	backoffCap  = 8 * time.Second
	// jitterFraction: a delay is shortened by up to this share.
	jitterFraction = 0.25
	// maxHonouredRetryAfter: a longer server hint ends the call with the
	// error (and its RetryAfter) instead of blocking a worker for minutes.
	maxHonouredRetryAfter = 60 * time.Second
)

// backoffDelay is the capped exponential delay before retry number retry
// (0-based). jitter in [0,1) shortens it by up to jitterFraction.
func backoffDelay(retry int, jitter float64) time.Duration {
	delay := backoffCap
	if retry < 5 { // 500ms << 5 = 16s already exceeds the cap
		delay = min(backoffBase<<max(retry, 0), backoffCap)
	}
	jitter = min(max(jitter, 0), 1)
	return delay - time.Duration(float64(delay)*jitterFraction*jitter)
}

// parseRetryAfter reads Retry-After-Ms (milliseconds) or Retry-After
// (seconds or an HTTP date, relative to now). Negative values clamp to zero.
func parseRetryAfter(header http.Header, now time.Time) (time.Duration, bool) {
	if raw := strings.TrimSpace(header.Get("Retry-After-Ms")); raw != "" {
		if ms, err := strconv.ParseFloat(raw, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	raw := strings.TrimSpace(header.Get("Retry-After"))
	if raw == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseFloat(raw, 64); err == nil {
		return time.Duration(max(seconds, 0) * float64(time.Second)), true
	}
	if date, err := http.ParseTime(raw); err == nil {
		return max(date.Sub(now), 0), true
	}
	return 0, false
}

// tryResult is what one HTTP attempt produced, as far as the retry
// policy cares.
type tryResult struct {
	// status is the HTTP status, 0 when no response was received.
	status int
	// transportFailed: no (complete) response was received.
	transportFailed bool
	// mayHaveBeenSent: the request may have reached the server.
	mayHaveBeenSent bool
}

// shouldRetry is the retry policy. GETs are retried on network errors, 429
// and 5xx. Writes are retried only when the server surely did not act: a 429,
// or a failure before any byte was sent.
func shouldRetry(idempotent bool, outcome tryResult) bool {
	if outcome.transportFailed {
		return idempotent || !outcome.mayHaveBeenSent
	}
	switch {
	case outcome.status == http.StatusTooManyRequests:
		return true
	case outcome.status >= http.StatusInternalServerError:
		return idempotent
	default:
		return false
	}
}

// retryWait picks the wait before retry number retry: the server's hint when
// present (false when it is too long to wait for), else backoff with jitter.
func retryWait(retry int, jitter float64, hint time.Duration, hasHint bool) (time.Duration, bool) {
	if hasHint {
		return hint, hint <= maxHonouredRetryAfter
	}
	return backoffDelay(retry, jitter), true
}
