package dodo

import "errors"

// IsRetryable reports whether repeating the same call later is safe and may succeed: rate
// limiting, a server error or a network failure, but never an outcome-unknown write. Only
// tests ask (the controllers decide per call), so it lives here, exported for dodo_test.
func IsRetryable(err error) bool {
	if err == nil || IsOutcomeUnknown(err) {
		return false
	}
	var transport *TransportError
	return IsRateLimited(err) || IsServerError(err) || errors.As(err, &transport)
}
