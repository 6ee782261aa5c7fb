package dodo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		retry  int
		jitter float64
		want   time.Duration
	}{
		{0, 0, 500 * time.Millisecond},
		{1, 0, time.Second},
		{2, 0, 2 * time.Second},
		{3, 0, 4 * time.Second},
		{4, 0, 8 * time.Second},
		{5, 0, 8 * time.Second},
		{60, 0, 8 * time.Second},
		{-1, 0, 500 * time.Millisecond},
		{0, 1, 375 * time.Millisecond},
		{4, 0.5, 7 * time.Second},
		{2, 7, 1500 * time.Millisecond}, // jitter clamped to 1
	}
	for _, tt := range tests {
		if got := backoffDelay(tt.retry, tt.jitter); got != tt.want {
			t.Errorf("backoffDelay(%d, %v) = %v, want %v", tt.retry, tt.jitter, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
		ok      bool
	}{
		{"none", nil, 0, false},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{"fractional seconds", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond, true},
		{"milliseconds win", map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, 250 * time.Millisecond, true},
		{"http date", map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second, true},
		{"past http date", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0, true},
		{"negative seconds", map[string]string{"Retry-After": "-4"}, 0, true},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"garbage ms falls back", map[string]string{"Retry-After-Ms": "x", "Retry-After": "2"}, 2 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			for k, v := range tt.headers {
				header.Set(k, v)
			}
			got, ok := parseRetryAfter(header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseRetryAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestShouldRetry(t *testing.T) {
	tests := []struct {
		name       string
		idempotent bool
		outcome    tryResult
		want       bool
	}{
		{"GET 429", true, tryResult{status: 429}, true},
		{"GET 500", true, tryResult{status: 500}, true},
		{"GET 503", true, tryResult{status: 503}, true},
		{"GET 404", true, tryResult{status: 404}, false},
		{"GET 422", true, tryResult{status: 422}, false},
		{"GET network error after send", true, tryResult{transportFailed: true, mayHaveBeenSent: true}, true},
		{"POST 429 was not processed", false, tryResult{status: 429}, true},
		{"POST 500 may have committed", false, tryResult{status: 500}, false},
		{"POST 502", false, tryResult{status: 502}, false},
		{"POST 422", false, tryResult{status: 422}, false},
		{"POST dial error before send", false, tryResult{transportFailed: true}, true},
		{"POST dropped after send", false, tryResult{transportFailed: true, mayHaveBeenSent: true}, false},
	}
	for _, tt := range tests {
		if got := shouldRetry(tt.idempotent, tt.outcome); got != tt.want {
			t.Errorf("%s: shouldRetry = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetryWait(t *testing.T) {
	if wait, ok := retryWait(3, 0, 2*time.Second, true); wait != 2*time.Second || !ok {
		t.Errorf("hint not honoured: %v %v", wait, ok)
	}
	if _, ok := retryWait(0, 0, 2*time.Minute, true); ok {
		t.Errorf("a hint longer than %v must end the call", maxHonouredRetryAfter)
	}
	if wait, ok := retryWait(1, 0, 0, false); wait != time.Second || !ok {
		t.Errorf("backoff without hint: %v %v", wait, ok)
	}
}

func TestErrorHelpers(t *testing.T) {
	api := func(status int) error { return &APIError{StatusCode: status, Code: "C", Method: "GET", Path: "/x"} }
	unknown := &OutcomeUnknownError{Method: "POST", Path: "/x", Err: api(502)}
	transport := &TransportError{Method: "GET", Path: "/x", Err: context.DeadlineExceeded}
	tests := []struct {
		name                                                          string
		err                                                           error
		notFound, unauth, validation, limited, server, unk, retryable bool
	}{
		{"404", api(404), true, false, false, false, false, false, false},
		{"401", api(401), false, true, false, false, false, false, false},
		{"403", api(403), false, true, false, false, false, false, false},
		{"400", api(400), false, false, true, false, false, false, false},
		{"409", api(409), false, false, true, false, false, false, false},
		{"422", api(422), false, false, true, false, false, false, false},
		{"429", api(429), false, false, false, true, false, false, true},
		{"500", api(500), false, false, false, false, true, false, true},
		{"outcome unknown 502", unknown, false, false, false, false, true, true, false},
		{"wrapped outcome unknown", fmt.Errorf("charge: %w", unknown), false, false, false, false, true, true, false},
		{"transport", transport, false, false, false, false, false, false, true},
		{"local validation", fmt.Errorf("x: %w", ErrMissingRequiredField), false, false, true, false, false, false, false},
		{"plain", errors.New("other"), false, false, false, false, false, false, false},
		{"nil", nil, false, false, false, false, false, false, false},
	}
	for _, tt := range tests {
		got := []bool{IsNotFound(tt.err), IsUnauthorized(tt.err), IsValidation(tt.err), IsRateLimited(tt.err),
			IsServerError(tt.err), IsOutcomeUnknown(tt.err), IsRetryable(tt.err)}
		want := []bool{tt.notFound, tt.unauth, tt.validation, tt.limited, tt.server, tt.unk, tt.retryable}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: [notFound unauth validation limited server unknown retryable] = %v, want %v", tt.name, got, want)
		}
	}
	if ErrorCode(fmt.Errorf("w: %w", &APIError{Code: "PREVIOUS_PAYMENT_PENDING"})) != "PREVIOUS_PAYMENT_PENDING" || ErrorCode(errors.New("x")) != "" {
		t.Errorf("ErrorCode wrong")
	}
	if StatusCode(unknown) != 502 || StatusCode(nil) != 0 {
		t.Errorf("StatusCode wrong")
	}
}

func TestCodeClass(t *testing.T) {
	for status, want := range map[int]string{0: "error", 200: "2xx", 204: "2xx", 404: "4xx", 429: "4xx", 503: "5xx", 999: "error"} {
		if got := codeClass(status); got != want {
			t.Errorf("codeClass(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestCollectPages(t *testing.T) {
	pages := [][]string{{"a", "b"}, {"b", "c"}, {"d"}}
	var asked []int
	fetch := func(_ context.Context, page int) ([]string, error) {
		asked = append(asked, page)
		return pages[page], nil
	}
	got, err := collectPages(context.Background(), 2, 10, fetch, func(s string) string { return s })
	if err != nil || fmt.Sprint(got) != "[a b c d]" || fmt.Sprint(asked) != "[0 1 2]" {
		t.Errorf("got %v asked %v err %v", got, asked, err)
	}
	full := func(_ context.Context, page int) ([]string, error) { return []string{fmt.Sprint(page)}, nil }
	got, err = collectPages(context.Background(), 1, 3, full, func(s string) string { return s })
	if !errors.Is(err, ErrTooManyPages) || len(got) != 3 {
		t.Errorf("cap: got %v err %v", got, err)
	}
	boom := errors.New("boom")
	failing := func(context.Context, int) ([]string, error) { return nil, boom }
	if _, err := collectPages(context.Background(), 1, 3, failing, func(s string) string { return s }); !errors.Is(err, boom) {
		t.Errorf("error not propagated: %v", err)
	}
	if clampPageSize(0) != 100 || clampPageSize(500) != 100 || clampPageSize(20) != 20 {
		t.Errorf("clampPageSize wrong")
	}
}
