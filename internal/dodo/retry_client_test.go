package dodo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

// rateLimitedWith answers 429 with one retry-hint header.
func rateLimitedWith(key, value string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(key, value)
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"code":"X","message":"y"}`)
	}
}

func TestGetRetriesWithBackoffAndRetryAfter(t *testing.T) {
	h := newHarness(t, sequence(
		respondJSON(http.StatusServiceUnavailable, `{}`),
		rateLimitedWith("Retry-After", "2"),
		dropConnection,
		respondJSON(http.StatusOK, subscriptionBody),
	), nil, WithHTTPClient(freshConnections()))
	sub, err := h.client.GetSubscription(testContext(t), "sub_1")
	if err != nil || sub.SubscriptionID != "sub_1" {
		t.Fatalf("GetSubscription = %v, %v", sub, err)
	}
	if n := len(h.recorder.Requests()); n != 4 {
		t.Errorf("server saw %d requests, want 4", n)
	}
	// 1st retry: backoff 500ms; 2nd: server's 2s; 3rd: backoff 2s.
	if got := fmt.Sprint(h.clock.Waits()); got != "[500ms 2s 2s]" {
		t.Errorf("waits = %s, want [500ms 2s 2s]", got)
	}
}

// freshConnections disables keep-alive so a dropped connection reaches the
// client's retry policy instead of net/http's own replay of idempotent
// requests on reused connections.
func freshConnections() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestGetRetriesExhausted(t *testing.T) {
	h := newHarness(t, respondJSON(http.StatusInternalServerError, `{"code":"INTERNAL_SERVER_ERROR","message":""}`), nil,
		WithRand(func() float64 { return 1 }))
	_, err := h.client.GetPayment(testContext(t), "pay_1")
	if !IsServerError(err) || !IsRetryable(err) || IsOutcomeUnknown(err) {
		t.Fatalf("error = %v", err)
	}
	if n := len(h.recorder.Requests()); n != 1+DefaultMaxGetRetries {
		t.Errorf("server saw %d requests, want %d", n, 1+DefaultMaxGetRetries)
	}
	// Full jitter shortens each backoff by 25%.
	if got := fmt.Sprint(h.clock.Waits()); got != "[375ms 750ms 1.5s]" {
		t.Errorf("waits = %s", got)
	}
}

func TestGetRetryAfterVariants(t *testing.T) {
	now := newRecordingClock().Now()
	tests := []struct {
		name   string
		header string
		value  string
		want   string
	}{
		{"milliseconds", "Retry-After-Ms", "1200", "[1.2s]"},
		{"http date", "Retry-After", now.Add(3 * time.Second).Format(http.TimeFormat), "[3s]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, sequence(rateLimitedWith(tt.header, tt.value),
				respondJSON(http.StatusOK, paymentBody)), nil)
			if _, err := h.client.GetPayment(testContext(t), "pay_1"); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(h.clock.Waits()); got != tt.want {
				t.Errorf("waits = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestGetLongRetryAfterEndsTheCall(t *testing.T) {
	h := newHarness(t, rateLimitedWith("Retry-After", "120"), nil)
	_, err := h.client.GetPayment(testContext(t), "pay_1")
	var apiErr *APIError
	if !IsRateLimited(err) || !errors.As(err, &apiErr) || apiErr.RetryAfter != 2*time.Minute {
		t.Fatalf("error = %#v", err)
	}
	if n := len(h.recorder.Requests()); n != 1 || len(h.clock.Waits()) != 0 {
		t.Errorf("requests=%d waits=%v; a 2-minute hint must not be waited for", n, h.clock.Waits())
	}
}

func TestGetTimeoutIsRetriedAsTransportError(t *testing.T) {
	h := newHarness(t, hangUntilClientGone, func(c *Config) { c.Timeout = 30 * time.Millisecond; c.MaxGetRetries = 1 })
	_, err := h.client.GetSubscription(testContext(t), "sub_1")
	var transport *TransportError
	if !errors.As(err, &transport) || !errors.Is(err, context.DeadlineExceeded) || IsOutcomeUnknown(err) {
		t.Fatalf("error = %v, want transport timeout", err)
	}
	if n := len(h.recorder.Requests()); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

// countingLimiter is the rate-limiter seam: it admits everything and counts.
type countingLimiter struct{ calls atomic.Int32 }

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.calls.Add(1)
	return ctx.Err()
}

func TestRateLimiterConsultedForEveryAttempt(t *testing.T) {
	h := newHarness(t, sequence(respondJSON(http.StatusBadGateway, `{}`), respondJSON(http.StatusOK, subscriptionBody)), nil)
	limiter := &countingLimiter{}
	h.client.limiter = limiter
	ctx := testContext(t)
	if _, err := h.client.GetSubscription(ctx, "sub_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.ListPayments(ctx, ListPaymentsParams{}); err != nil {
		t.Fatal(err)
	}
	if got := limiter.calls.Load(); got != 3 {
		t.Errorf("limiter waited %d times, want 3 (2 attempts + 1)", got)
	}
}

func TestRateLimiterBlocksAndHonoursContext(t *testing.T) {
	slow := func(c *Config) { c.RateLimit = rate.Every(time.Hour); c.Burst = 1 }
	h := newHarness(t, respondJSON(http.StatusOK, `{"payment_id":"pay_1"}`), slow)
	if _, err := h.client.Charge(testContext(t), "sub_1", ChargeRequest{ProductPrice: 1}); err != nil {
		t.Fatalf("first call within burst: %v", err)
	}
	ctx, cancel := context.WithTimeout(testContext(t), 20*time.Millisecond)
	defer cancel()
	_, err := h.client.Charge(ctx, "sub_1", ChargeRequest{ProductPrice: 1})
	if err == nil || IsOutcomeUnknown(err) || !strings.Contains(err.Error(), "rate limiter") {
		t.Fatalf("second call error = %v, want a rate-limiter refusal (nothing sent)", err)
	}
	if n := len(h.recorder.Requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestMetricsUseRouteTemplates(t *testing.T) {
	registry := prometheus.NewRegistry()
	h := newHarness(t, sequence(respondJSON(http.StatusOK, subscriptionBody), respondJSON(http.StatusNotFound, `{}`)), nil,
		WithMetrics(registry))
	ctx := testContext(t)
	_, _ = h.client.GetSubscription(ctx, "sub_1")
	_, _ = h.client.GetSubscription(ctx, "sub_2")
	// A second client on the same registry reuses the collectors.
	if _, err := New(Config{BaseURL: h.server.URL, APIKey: NewSecret("k")}, WithMetrics(registry)); err != nil {
		t.Fatalf("second client on the same registry: %v", err)
	}
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	names := map[string]bool{}
	for _, family := range families {
		names[family.GetName()] = true
		for _, metric := range family.GetMetric() {
			labels := make([]string, 0, len(metric.GetLabel()))
			for _, label := range metric.GetLabel() {
				if strings.Contains(label.GetValue(), "sub_") {
					t.Errorf("raw ID in label %s=%s", label.GetName(), label.GetValue())
				}
				labels = append(labels, label.GetName()+"="+label.GetValue())
			}
			if family.GetName() == "dodo_api_requests_total" {
				counts[strings.Join(labels, ",")] = metric.GetCounter().GetValue()
			}
		}
	}
	for _, name := range []string{"dodo_api_requests_total", "dodo_api_request_duration_seconds", "dodo_api_rate_limiter_wait_seconds"} {
		if !names[name] {
			t.Errorf("metric %s not registered", name)
		}
	}
	want := map[string]float64{
		"code_class=2xx,endpoint=/subscriptions/{id},method=GET": 1,
		"code_class=4xx,endpoint=/subscriptions/{id},method=GET": 1,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests_total = %v, want %v", counts, want)
	}
}

func TestListAllPagesUntilShortPage(t *testing.T) {
	const total = 230
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page_number"))
		if r.URL.Path == RouteSubscriptions { // a server that never ends
			_, _ = fmt.Fprintf(w, `{"items":[{"subscription_id":"sub_%d"}]}`, page)
			return
		}
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		var items []string
		for i := page * size; i < min((page+1)*size, total); i++ {
			items = append(items, fmt.Sprintf(`{"payment_id":"pay_%d"}`, i))
		}
		_, _ = io.WriteString(w, `{"items":[`+strings.Join(items, ",")+`]}`)
	}, nil)
	payments, err := h.client.ListAllPayments(testContext(t), ListPaymentsParams{SubscriptionID: "sub_1", PageNumber: ptr.To(7)})
	if err != nil || len(payments) != total || payments[total-1].PaymentID != fmt.Sprintf("pay_%d", total-1) {
		t.Fatalf("ListAllPayments = %d items, %v", len(payments), err)
	}
	requests := h.recorder.Requests()
	queries := make([]string, 0, len(requests))
	for _, req := range requests {
		queries = append(queries, req.RawQuery)
	}
	want := "[page_number=0&page_size=100&subscription_id=sub_1 page_number=1&page_size=100&subscription_id=sub_1 page_number=2&page_size=100&subscription_id=sub_1]"
	if fmt.Sprint(queries) != want {
		t.Errorf("queries = %v", queries)
	}
	h.client.maxPages = 2
	subs, err := h.client.ListAllSubscriptions(testContext(t), ListSubscriptionsParams{PageSize: 1})
	if !errors.Is(err, ErrTooManyPages) || len(subs) != 2 {
		t.Fatalf("never-ending list: %d items, %v; want the 2 items read and ErrTooManyPages", len(subs), err)
	}
	if n := len(h.recorder.Requests()); n != 3+2 {
		t.Errorf("server saw %d requests, want 5", n)
	}
}

func TestRetryWaitHonoursContext(t *testing.T) {
	h := newHarness(t, respondJSON(http.StatusServiceUnavailable, `{}`), nil)
	// A fake clock nobody steps: the backoff timer never fires. Cancel once the client is
	// waiting on it (cancelling earlier races with the first response).
	fake := testingclock.NewFakeClock(time.Now())
	h.client.clock = fake
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		for !fake.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := h.client.GetSubscription(ctx, "sub_1")
	var transport *TransportError
	if !errors.As(err, &transport) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want the cancellation", err)
	}
	if n := len(h.recorder.Requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestRetriesAreLoggedWithoutSecrets(t *testing.T) {
	var lines []string
	var mu sync.Mutex
	logger := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, prefix+" "+args)
	}, funcr.Options{Verbosity: 1})
	h := newHarness(t, sequence(respondJSON(http.StatusBadGateway, `{}`), respondJSON(http.StatusOK, subscriptionBody)), nil,
		WithLogger(logger))
	if _, err := h.client.GetSubscription(testContext(t), "sub_1"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// One retry line, then the call's own line (reads log at V(1)).
	if len(lines) != 2 || !strings.Contains(lines[0], `"status"=502`) || !strings.Contains(lines[0], RouteSubscription) ||
		!strings.Contains(lines[1], `"msg"="Dodo API call"`) || !strings.Contains(lines[1], `"status"=200`) {
		t.Errorf("log lines = %q, want a retry line with status and route, then the call's line", lines)
	}
	for _, line := range lines {
		if strings.Contains(line, testAPIKey) {
			t.Errorf("log leaks the key: %s", line)
		}
	}
}
