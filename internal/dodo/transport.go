package dodo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
)

// errResponseTooLarge is returned when a body exceeds maxResponseBytes.
var errResponseTooLarge = errors.New("response body too large")

// call describes one API operation.
type call struct {
	method string
	// route is the template used as the metrics label.
	route string
	path  string
	query url.Values
	body  any
	out   any
	// optionalBody: a 2xx body may be empty or undecodable (change-plan).
	optionalBody bool
}

// attemptResult is what one HTTP attempt produced.
type attemptResult struct {
	status int
	header http.Header
	body   []byte
	// err is set when no complete response was received.
	err error
	// mayHaveBeenSent: the request may have reached the server.
	mayHaveBeenSent bool
}

func (r attemptResult) succeeded() bool { return r.err == nil && r.status/100 == 2 }

func (r attemptResult) outcome() tryResult {
	return tryResult{status: r.status, transportFailed: r.err != nil, mayHaveBeenSent: r.mayHaveBeenSent}
}

// do runs a call with rate limiting, per-attempt timeouts and the retry
// policy, and classifies the final failure.
func (c *Client) do(ctx context.Context, req call) error {
	var payload []byte
	if req.body != nil {
		encoded, err := json.Marshal(req.body)
		if err != nil {
			return fmt.Errorf("dodo: %s %s: encode request: %w", req.method, req.path, err)
		}
		payload = encoded
	}
	idempotent := req.method == http.MethodGet
	for retry := 0; ; retry++ {
		res, err := c.attempt(ctx, req, payload)
		if err != nil {
			return err // failed before sending: nothing happened
		}
		if res.succeeded() {
			c.logCall(ctx, req, res.status, nil)
			return c.decode(req, res, idempotent)
		}
		wait, again := c.planRetry(ctx, idempotent, retry, res)
		if !again {
			ferr := c.failure(req, idempotent, res)
			c.logCall(ctx, req, res.status, ferr)
			return ferr
		}
		c.log.V(1).Info("Retrying Dodo API call", "method", req.method, "route", req.route,
			"retry", retry+1, "wait", wait.String(), "status", res.status)
		if err := c.sleep(ctx, wait); err != nil {
			// The previous attempt was one the policy may repeat, so it
			// surely did not apply a write: the outcome is known.
			return &TransportError{Method: req.method, Path: req.path, Err: err}
		}
	}
}

func (c *Client) planRetry(ctx context.Context, idempotent bool, retry int, res attemptResult) (time.Duration, bool) {
	if ctx.Err() != nil || retry >= c.maxRetries || !shouldRetry(idempotent, res.outcome()) {
		return 0, false
	}
	hint, hasHint := parseRetryAfter(res.header, c.clock.Now())
	return retryWait(retry, c.jitter(), hint, hasHint)
}

func (c *Client) sleep(ctx context.Context, wait time.Duration) error {
	if wait <= 0 {
		return ctx.Err()
	}
	timer := c.clock.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C():
		return nil
	}
}

// attempt sends the request once. A returned error means nothing was sent.
func (c *Client) attempt(ctx context.Context, req call, payload []byte) (attemptResult, error) {
	if err := c.waitForToken(ctx, req.method); err != nil {
		return attemptResult{}, err
	}
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wroteHeaders atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wroteHeaders.Store(true) }}
	httpReq, err := c.newRequest(httptrace.WithClientTrace(attemptCtx, trace), req, payload)
	if err != nil {
		return attemptResult{}, err
	}
	start := time.Now()
	resp, err := c.httpClient.Do(httpReq)
	if err != nil {
		c.metrics.observeAttempt(req.route, req.method, 0, time.Since(start))
		// Unsent only when positively known: no header written AND the
		// failure is a dial/DNS error. Anything else may have reached Dodo.
		sent := wroteHeaders.Load() || !isDialError(err)
		return attemptResult{err: err, mayHaveBeenSent: sent}, nil
	}
	defer func() { _ = resp.Body.Close() }()
	body, readErr := readLimited(resp.Body, c.maxBody)
	c.metrics.observeAttempt(req.route, req.method, resp.StatusCode, time.Since(start))
	res := attemptResult{status: resp.StatusCode, header: resp.Header, body: body, mayHaveBeenSent: true}
	if resp.StatusCode == http.StatusTooManyRequests {
		// Dodo's limit is below ours right now: every class waits, not only this call.
		hint, _ := parseRetryAfter(resp.Header, c.clock.Now())
		c.budget.Throttled(hint)
	}
	c.noteCredentials(resp.StatusCode)
	if readErr != nil && resp.StatusCode/100 == 2 {
		// The server acted but its answer is lost.
		res.err = fmt.Errorf("read response body: %w", readErr)
	}
	return res, nil
}

func (c *Client) newRequest(ctx context.Context, req call, payload []byte) (*http.Request, error) {
	// req.path is already escaped; the base URL has no query or trailing slash.
	target := c.baseURL.String() + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("dodo: %s %s: build request: %w", req.method, req.path, err)
	}
	httpReq.Header.Set("Authorization", "Bearer "+c.apiKey.Reveal())
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	return httpReq, nil
}

func isDialError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

func readLimited(body io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errResponseTooLarge
	}
	return data, nil
}

func (c *Client) decode(req call, res attemptResult, idempotent bool) error {
	if req.out == nil || (req.optionalBody && len(bytes.TrimSpace(res.body)) == 0) {
		return nil
	}
	err := json.Unmarshal(res.body, req.out)
	if err == nil {
		return nil
	}
	if req.optionalBody {
		c.log.V(1).Info("Ignoring undecodable optional response body", "route", req.route)
		return nil
	}
	err = fmt.Errorf("decode response: %w", err)
	if !idempotent {
		// The write succeeded but its result (e.g. the new ID) is unreadable.
		return &OutcomeUnknownError{Method: req.method, Path: req.path, Err: err}
	}
	return fmt.Errorf("dodo: %s %s: %w", req.method, req.path, err)
}

// failure classifies the last unsuccessful attempt.
func (c *Client) failure(req call, idempotent bool, res attemptResult) error {
	if res.err != nil {
		if !idempotent && res.mayHaveBeenSent {
			return &OutcomeUnknownError{Method: req.method, Path: req.path, Err: res.err}
		}
		return &TransportError{Method: req.method, Path: req.path, Err: res.err}
	}
	apiErr := c.apiError(req, res)
	if !idempotent && res.status >= http.StatusInternalServerError {
		return &OutcomeUnknownError{Method: req.method, Path: req.path, Err: apiErr}
	}
	return apiErr
}

func (c *Client) apiError(req call, res attemptResult) *APIError {
	apiErr := &APIError{StatusCode: res.status, Method: req.method, Path: req.path}
	var body ErrorBody
	if json.Unmarshal(res.body, &body) == nil && (body.Code != "" || body.Message != "") {
		apiErr.Code, apiErr.Message = body.Code, body.Message
	} else {
		apiErr.Message = snippet(res.body)
	}
	if hint, ok := parseRetryAfter(res.header, c.clock.Now()); ok {
		apiErr.RetryAfter = hint
	}
	return apiErr
}

// snippet returns a short, printable prefix of a non-JSON error body.
func snippet(body []byte) string {
	const limit = 200
	text := strings.TrimSpace(string(body))
	if !utf8.ValidString(text) {
		return ""
	}
	if runes := []rune(text); len(runes) > limit {
		text = string(runes[:limit]) + "..."
	}
	return strings.Join(strings.Fields(text), " ")
}

// logCall writes one line per finished call: writes at V(0), so every create, charge,
// plan change and cancel is in the log with the reconcile that made it; reads at V(1).
// Only the method, route and status: never bodies, keys or customer data.
func (c *Client) logCall(ctx context.Context, req call, status int, err error) {
	logger := c.log
	if fromCtx, ferr := logr.FromContext(ctx); ferr == nil {
		logger = fromCtx
	}
	if req.method == http.MethodGet {
		logger = logger.V(1)
	}
	if err != nil {
		logger.Info("Dodo API call failed", "method", req.method, "route", req.route, "status", status, "error", err.Error())
		return
	}
	logger.Info("Dodo API call", "method", req.method, "route", req.route, "status", status)
}
