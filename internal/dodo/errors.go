package dodo

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// APIError is a non-2xx answer from the API. Its text holds the method, path,
// status and Dodo's code and message; never headers or credentials.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	Method     string
	Path       string
	// RetryAfter is the server's Retry-After hint, zero when absent.
	RetryAfter time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.StatusCode)
	}
	if e.Message == "" {
		return fmt.Sprintf("dodo: %s %s: %d %s", e.Method, e.Path, e.StatusCode, code)
	}
	return fmt.Sprintf("dodo: %s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, code, e.Message)
}

// OutcomeUnknownError reports a non-idempotent request (POST/PATCH) that may
// or may not have been applied: it was (possibly) sent, and then the answer
// was lost (timeout, dropped connection, unreadable body) or was a 5xx after
// which the server may have committed. Dodo has no idempotency key, so the
// caller must look (GET/list by metadata) before acting again.
type OutcomeUnknownError struct {
	Method string
	Path   string
	Err    error
}

// Error implements error.
func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("dodo: %s %s: outcome unknown, reconcile before retrying: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the underlying cause.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// TransportError is a network failure where the outcome is known not to
// matter: a GET (safe to repeat) or a request that was never sent.
type TransportError struct {
	Method string
	Path   string
	Err    error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("dodo: %s %s: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the underlying cause.
func (e *TransportError) Unwrap() error { return e.Err }

func asAPIError(err error) (*APIError, bool) {
	var apiErr *APIError
	ok := errors.As(err, &apiErr)
	return apiErr, ok
}

func hasStatus(err error, match func(int) bool) bool {
	apiErr, ok := asAPIError(err)
	return ok && match(apiErr.StatusCode)
}

// IsNotFound reports a 404.
func IsNotFound(err error) bool {
	return hasStatus(err, func(s int) bool { return s == http.StatusNotFound })
}

// IsUnauthorized reports a 401 (bad key) or 403 (key lacks permission).
func IsUnauthorized(err error) bool {
	return hasStatus(err, func(s int) bool { return s == http.StatusUnauthorized || s == http.StatusForbidden })
}

// IsValidation reports a 400, 409 or 422, or a request refused locally
// before sending (ErrInvalidRequest, ErrMissingRequiredField): the same
// request will not succeed on retry.
func IsValidation(err error) bool {
	if errors.Is(err, ErrInvalidRequest) || errors.Is(err, ErrMissingRequiredField) {
		return true
	}
	return hasStatus(err, func(s int) bool {
		return s == http.StatusBadRequest || s == http.StatusConflict || s == http.StatusUnprocessableEntity
	})
}

// IsRateLimited reports a 429.
func IsRateLimited(err error) bool {
	return hasStatus(err, func(s int) bool { return s == http.StatusTooManyRequests })
}

// IsServerError reports a 5xx (also when wrapped in OutcomeUnknownError).
func IsServerError(err error) bool {
	return hasStatus(err, func(s int) bool { return s >= http.StatusInternalServerError })
}

// IsOutcomeUnknown reports that a write may or may not have been applied.
func IsOutcomeUnknown(err error) bool {
	var unknown *OutcomeUnknownError
	return errors.As(err, &unknown)
}

// ErrorCode returns Dodo's error code (e.g. PREVIOUS_PAYMENT_PENDING) of an
// API error anywhere in the chain, or "".
func ErrorCode(err error) string {
	if apiErr, ok := asAPIError(err); ok {
		return apiErr.Code
	}
	return ""
}

// StatusCode returns the HTTP status of an API error in the chain, or 0.
func StatusCode(err error) int {
	if apiErr, ok := asAPIError(err); ok {
		return apiErr.StatusCode
	}
	return 0
}
