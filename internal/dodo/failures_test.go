package dodo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"
)

func noRetries(c *Config) { c.MaxGetRetries = -1 }

func TestErrorClassesFromStatus(t *testing.T) {
	tests := []struct {
		status int
		check  func(error) bool
		name   string
	}{
		{400, IsValidation, "IsValidation"},
		{401, IsUnauthorized, "IsUnauthorized"},
		{403, IsUnauthorized, "IsUnauthorized"},
		{404, IsNotFound, "IsNotFound"},
		{409, IsValidation, "IsValidation"},
		{422, IsValidation, "IsValidation"},
		{429, IsRateLimited, "IsRateLimited"},
		{500, IsServerError, "IsServerError"},
		{503, IsServerError, "IsServerError"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			body := fmt.Sprintf(`{"code":"CODE_%d","message":"msg %d"}`, tt.status, tt.status)
			h := newHarness(t, respondJSON(tt.status, body), noRetries)
			_, err := h.client.GetSubscription(testContext(t), "sub_1")
			if !tt.check(err) {
				t.Fatalf("%s(%v) = false", tt.name, err)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || apiErr.Code != fmt.Sprintf("CODE_%d", tt.status) ||
				apiErr.Message != fmt.Sprintf("msg %d", tt.status) || apiErr.Method != "GET" || apiErr.Path != "/subscriptions/sub_1" {
				t.Errorf("APIError = %+v", apiErr)
			}
			if IsOutcomeUnknown(err) {
				t.Errorf("a GET is never outcome-unknown")
			}
			if strings.Contains(err.Error(), testAPIKey) {
				t.Errorf("error leaks the key: %v", err)
			}
		})
	}
}

func TestNonJSONErrorBodyBecomesMessage(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>\n bad   gateway </html>")
	}, noRetries)
	_, err := h.client.GetPayment(testContext(t), "pay_1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "" || apiErr.Message != "<html> bad gateway </html>" {
		t.Fatalf("error = %#v", err)
	}
	if !strings.Contains(err.Error(), "502 Bad Gateway") {
		t.Errorf("Error() = %q", err.Error())
	}
}

// Writes whose answer is lost or ambiguous must surface as outcome-unknown
// and must not be repeated.
func TestWriteOutcomeUnknown(t *testing.T) {
	charge := func(ctx context.Context, c *Client) error {
		_, err := c.Charge(ctx, "sub_1", ChargeRequest{ProductPrice: 100})
		return err
	}
	patch := func(ctx context.Context, c *Client) error {
		_, err := c.UpdateSubscription(ctx, "sub_1", UpdateSubscriptionRequest{CancelAtNextBillingDate: ptr.To(true)})
		return err
	}
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateSubscription(ctx, CreateSubscriptionRequest{ProductID: "p", Quantity: 1,
			Billing: BillingAddress{Country: "US"}, Customer: ExistingCustomer("c")})
		return err
	}
	oversized := respondJSON(http.StatusOK, `{"payment_id":"`+strings.Repeat("x", 2048)+`"}`)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		call    func(context.Context, *Client) error
		server  bool
		cause   error
	}{
		{"POST hangs past the timeout", hangUntilClientGone, charge, false, context.DeadlineExceeded},
		{"POST connection dropped after the body was read", dropConnection, charge, false, io.EOF},
		{"POST answered 502", respondJSON(http.StatusBadGateway, `{"code":"BAD_GATEWAY","message":"upstream"}`), charge, true, nil},
		{"POST answered 500 on create", respondJSON(http.StatusInternalServerError, `{"code":"INTERNAL_SERVER_ERROR","message":""}`), create, true, nil},
		{"PATCH answered 503", respondJSON(http.StatusServiceUnavailable, `{}`), patch, true, nil},
		{"PATCH connection dropped", dropConnection, patch, false, io.EOF},
		{"POST 200 with unreadable JSON", respondJSON(http.StatusOK, `{"payment_id":`), charge, false, nil},
		{"POST 200 with a body over the read limit", oversized, charge, false, errResponseTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.handler, func(c *Config) { c.Timeout = 100 * time.Millisecond })
			h.client.maxBody = 1024
			err := tt.call(testContext(t), h.client)
			if !IsOutcomeUnknown(err) {
				t.Fatalf("error = %v, want outcome unknown", err)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("error = %v, want it caused by %v", err, tt.cause)
			}
			if IsRetryable(err) || IsServerError(err) != tt.server {
				t.Errorf("IsRetryable=%v IsServerError=%v for %v", IsRetryable(err), IsServerError(err), err)
			}
			if n := len(h.recorder.Requests()); n != 1 {
				t.Errorf("server saw %d requests, want exactly 1 (never retried)", n)
			}
			if len(h.clock.Waits()) != 0 {
				t.Errorf("retry waits requested: %v", h.clock.Waits())
			}
		})
	}
}

func TestWriteCancelledByCallerWhileInFlightIsOutcomeUnknown(t *testing.T) {
	h := newHarness(t, hangUntilClientGone, nil)
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		for len(h.recorder.Requests()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := h.client.Charge(ctx, "sub_1", ChargeRequest{ProductPrice: 100})
	if !IsOutcomeUnknown(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want outcome unknown caused by cancellation", err)
	}
}

func TestWriteRefusedConnectionIsKnownNotSent(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	_ = listener.Close() // nothing listens: every dial is refused
	fakeClock := newRecordingClock()
	client, err := New(Config{BaseURL: "http://" + addr, APIKey: NewSecret(testAPIKey), MaxGetRetries: 2},
		WithClock(fakeClock), WithRand(func() float64 { return 0 }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Charge(testContext(t), "sub_1", ChargeRequest{ProductPrice: 100})
	var transport *TransportError
	if IsOutcomeUnknown(err) || !errors.As(err, &transport) || !IsRetryable(err) {
		t.Fatalf("error = %v, want a retryable transport error (surely not sent)", err)
	}
	if got := fmt.Sprint(fakeClock.Waits()); got != "[500ms 1s]" {
		t.Errorf("dial failures retried with waits %s, want [500ms 1s]", got)
	}
	if strings.Contains(err.Error(), testAPIKey) {
		t.Errorf("error leaks the key")
	}
}

func TestWriteNotRetriedOnValidationError(t *testing.T) {
	h := newHarness(t, respondJSON(http.StatusUnprocessableEntity, `{"code":"PREVIOUS_PAYMENT_PENDING","message":"pending"}`), nil)
	_, err := h.client.Charge(testContext(t), "sub_1", ChargeRequest{ProductPrice: 100})
	if !IsValidation(err) || ErrorCode(err) != "PREVIOUS_PAYMENT_PENDING" || IsOutcomeUnknown(err) {
		t.Fatalf("error = %v", err)
	}
	if n := len(h.recorder.Requests()); n != 1 {
		t.Errorf("server saw %d requests", n)
	}
}

func TestWriteRetriedOnlyAfter429(t *testing.T) {
	limited := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"code":"TOO_MANY_REQUESTS","message":"slow down"}`)
	}
	h := newHarness(t, sequence(limited, respondJSON(http.StatusOK, `{"payment_id":"pay_ok"}`)), nil)
	resp, err := h.client.Charge(testContext(t), "sub_1", ChargeRequest{ProductPrice: 100})
	if err != nil || resp.PaymentID != "pay_ok" {
		t.Fatalf("charge = %v, %v", resp, err)
	}
	if n := len(h.recorder.Requests()); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
	if got := fmt.Sprint(h.clock.Waits()); got != "[2s]" {
		t.Errorf("waits = %s, want [2s] from Retry-After", got)
	}
}

func TestLocalValidationSendsNothing(t *testing.T) {
	h := newHarness(t, respondJSON(http.StatusOK, `{}`), nil)
	ctx := testContext(t)
	errs := []error{
		func() error { _, err := h.client.Charge(ctx, "sub_1", ChargeRequest{}); return err }(),
		func() error { _, err := h.client.Charge(ctx, "", ChargeRequest{ProductPrice: 1}); return err }(),
		func() error { _, err := h.client.GetSubscription(ctx, " "); return err }(),
		func() error {
			_, err := h.client.ChangePlan(ctx, "sub_1", ChangePlanRequest{ProductID: "p"})
			return err
		}(),
		func() error {
			_, err := h.client.UpdatePaymentMethod(ctx, "sub_1", UpdatePaymentMethodRequest{})
			return err
		}(),
		func() error { _, err := h.client.CreateSubscription(ctx, CreateSubscriptionRequest{}); return err }(),
	}
	for i, err := range errs {
		if !IsValidation(err) || IsOutcomeUnknown(err) {
			t.Errorf("case %d: error = %v, want local validation error", i, err)
		}
	}
	if n := len(h.recorder.Requests()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}
