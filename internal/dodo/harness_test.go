package dodo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"
)

const testAPIKey = "sk_test_harness_KEY"

// recordingClock fires every timer at once and records the waits asked for,
// so retry tests assert backoff without sleeping.
type recordingClock struct {
	*testingclock.FakeClock
	mu    sync.Mutex
	waits []time.Duration
}

func newRecordingClock() *recordingClock {
	return &recordingClock{FakeClock: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
}

func (c *recordingClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	timer := c.FakeClock.NewTimer(d)
	c.Step(d)
	return timer
}

func (c *recordingClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// recordedRequest is what the test server saw.
type recordedRequest struct {
	Method, Path, RawQuery, Body string
	Header                       http.Header
}

// recorder stores requests and answers them with a per-test handler.
type recorder struct {
	mu       sync.Mutex
	requests []recordedRequest
}

func (r *recorder) wrap(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, recordedRequest{
			Method: req.Method, Path: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery,
			Body: string(body), Header: req.Header.Clone(),
		})
		r.mu.Unlock()
		next(w, req)
	}
}

func (r *recorder) Requests() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedRequest(nil), r.requests...)
}

type harness struct {
	server   *httptest.Server
	client   *Client
	clock    *recordingClock
	recorder *recorder
}

// newHarness starts a test server with handler and a client pointed at it:
// no rate limit, zero jitter, a recording clock and a 5s attempt timeout
// unless cfgEdit changes them.
func newHarness(t *testing.T, handler http.HandlerFunc, cfgEdit func(*Config), opts ...Option) *harness {
	t.Helper()
	rec := &recorder{}
	server := httptest.NewServer(rec.wrap(handler))
	t.Cleanup(server.Close)
	cfg := Config{BaseURL: server.URL, APIKey: NewSecret(testAPIKey), Timeout: 5 * time.Second, RateLimit: rate.Inf}
	if cfgEdit != nil {
		cfgEdit(&cfg)
	}
	fakeClock := newRecordingClock()
	allOpts := append([]Option{WithClock(fakeClock), WithRand(func() float64 { return 0 })}, opts...)
	client, err := New(cfg, allOpts...)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{server: server, client: client, clock: fakeClock, recorder: rec}
}

// respondJSON answers with a status and a JSON body.
func respondJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// sequence answers the n-th request with handlers[n] (the last one repeats).
func sequence(handlers ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	next := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handlers[min(next, len(handlers)-1)]
		next++
		mu.Unlock()
		h(w, r)
	}
}

// dropConnection closes the TCP connection without answering, after the
// request (and its body) was read.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// hangUntilClientGone blocks until the client gives up (bounded for safety).
func hangUntilClientGone(_ http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
