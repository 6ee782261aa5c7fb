package simulator

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// API routes as served (no /v1 prefix, docs/dodo-api.md §3). The strings are
// also the keys of Faults.Routes.
const (
	RouteCreateSubscription  = "POST /subscriptions"
	RouteListSubscriptions   = "GET /subscriptions"
	RouteGetSubscription     = "GET /subscriptions/{subscription_id}"
	RoutePatchSubscription   = "PATCH /subscriptions/{subscription_id}"
	RouteChangePlan          = "POST /subscriptions/{subscription_id}/change-plan"
	RouteCharge              = "POST /subscriptions/{subscription_id}/charge"
	RouteUpdatePaymentMethod = "POST /subscriptions/{subscription_id}/update-payment-method"
	RouteListPayments        = "GET /payments"
	RouteGetPayment          = "GET /payments/{payment_id}"
	RouteListPaymentMethods  = "GET /customers/{customer_id}/payment-methods"
)

const maxBodyBytes = 1 << 20

// apiHandler handles an authenticated API request and returns the 200 body.
type apiHandler func(r *http.Request) (any, error)

func (s *Simulator) routes() http.Handler {
	mux := http.NewServeMux()
	s.handleAPI(mux, RouteCreateSubscription, s.httpCreateSubscription)
	s.handleAPI(mux, RouteListSubscriptions, s.httpListSubscriptions)
	s.handleAPI(mux, RouteGetSubscription, s.httpGetSubscription)
	s.handleAPI(mux, RoutePatchSubscription, s.httpPatchSubscription)
	s.handleAPI(mux, RouteChangePlan, s.httpChangePlan)
	s.handleAPI(mux, RouteCharge, s.httpCharge)
	s.handleAPI(mux, RouteUpdatePaymentMethod, s.httpUpdatePaymentMethod)
	s.handleAPI(mux, RouteListPayments, s.httpListPayments)
	s.handleAPI(mux, RouteGetPayment, s.httpGetPayment)
	s.handleAPI(mux, RouteListPaymentMethods, s.httpListPaymentMethods)
	s.accountRoutes(mux)
	s.adminRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, code: codeNotFound, message: "no route for " + r.Method + " " + r.URL.Path})
	})
	return mux
}

func (s *Simulator) handleAPI(mux *http.ServeMux, pattern string, h apiHandler) {
	mux.Handle(pattern, s.withAPI(pattern, h))
}

// withAPI wraps an API handler: Bearer auth, the per-key rate limit, the
// route's faults (latency, error rate before handling, fail-after-commit
// after it) and the JSON response. Unknown headers (Idempotency-Key,
// X-Stainless-*) are ignored.
func (s *Simulator) withAPI(pattern string, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := s.authenticate(r)
		if !ok {
			writeError(w, &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, message: "missing or invalid API key"})
			return
		}
		s.requests.arrived(key, s.cfg.WallClock.Now())
		if allowed, wait := s.limiter.allow(key); !allowed {
			s.requests.refused()
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
			writeError(w, &apiError{status: http.StatusTooManyRequests, code: codeTooManyRequests, message: "rate limit exceeded"})
			return
		}
		fault := s.faults.route(pattern)
		if !sleepContext(r, time.Duration(fault.Latency)) {
			return
		}
		if s.faults.roll(fault.ErrorRate) {
			writeError(w, injectedError(fault.ErrorStatus))
			return
		}
		body, err := h(r)
		if err != nil {
			writeError(w, asAPIError(err))
			return
		}
		if s.faults.roll(fault.FailAfterCommitRate) {
			hideOutcome(w, fault.FailAfterCommitMode)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// authenticate returns the matching API key from "Authorization: Bearer <key>".
func (s *Simulator) authenticate(r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return "", false
	}
	for _, key := range s.cfg.APIKeys {
		if subtle.ConstantTimeCompare([]byte(token), []byte(key)) == 1 {
			return key, true
		}
	}
	return "", false
}

func sleepContext(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func injectedError(status int) *apiError {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	code := codeInternalServerError
	if status == http.StatusTooManyRequests {
		code = codeTooManyRequests
	}
	return &apiError{status: status, code: code, message: "injected fault"}
}

// hideOutcome answers a committed request so the caller cannot know it
// succeeded: a 502, or a connection closed without any response.
func hideOutcome(w http.ResponseWriter, mode FailMode) {
	if mode == FailModeDrop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return
		}
		panic(http.ErrAbortHandler) // no hijacking (HTTP/2): abort the stream
	}
	writeError(w, &apiError{status: http.StatusBadGateway, code: codeBadGateway, message: "upstream connection lost"})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	encoded, err := json.Marshal(body)
	if err != nil {
		writeError(w, asAPIError(fmt.Errorf("encode response: %w", err)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(encoded, '\n'))
}

func writeError(w http.ResponseWriter, err *apiError) {
	encoded, _ := json.Marshal(err.body())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(err.status)
	_, _ = w.Write(append(encoded, '\n'))
}

// decodeBody reads a JSON request body into dst. Malformed JSON and
// missing required fields are 422 INVALID_REQUEST_BODY.
func decodeBody(r *http.Request, dst any) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return badBody(fmt.Errorf("invalid JSON body: %w", err))
	}
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, unprocessable(codeInvalidRequestBody, "body larger than %d bytes", maxBodyBytes)
		}
		return nil, unprocessable(codeInvalidRequestBody, "read body: %v", err)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, unprocessable(codeInvalidRequestBody, "empty body")
	}
	return raw, nil
}

// baseURL is where payment links point: Config.BaseURL or this request's host.
func (s *Simulator) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
