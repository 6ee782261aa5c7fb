package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

const (
	testAPIKey = "sk_test_simulator_key"
	// testSecret is the Standard Webhooks spec example secret.
	testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// testStart is a 30-day month, so "day 16 of 30" is exactly half a period.
var testStart = time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC)

// receivedWebhook is one delivery seen by the test receiver.
type receivedWebhook struct {
	ID        string
	Timestamp string
	Signature string
	Body      []byte
	Event     dodo.WebhookEvent
	Object    string // subscription_id or payment_id of data
	SubID     string // data.subscription_id
	Status    string // data.status
}

// receiver is a webhook endpoint that verifies signatures and records
// deliveries; respond decides the HTTP status of each attempt.
type receiver struct {
	t       *testing.T
	server  *httptest.Server
	verify  *standardwebhooks.Webhook
	mu      sync.Mutex
	got     []receivedWebhook
	respond func(attempt int, id string) int
	tries   map[string]int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	verifier, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	rc := &receiver{t: t, verify: verifier, tries: map[string]int{}}
	rc.server = httptest.NewServer(http.HandlerFunc(rc.handle))
	t.Cleanup(rc.server.Close)
	return rc
}

func (rc *receiver) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// The wall clock is fake, so only the signature is checked here;
	// timestamp tolerance has its own test.
	if err := rc.verify.VerifyIgnoringTimestamp(body, r.Header); err != nil {
		rc.t.Errorf("webhook signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	event, err := dodo.ParseWebhookEvent(body)
	if err != nil {
		rc.t.Errorf("webhook body: %v", err)
	}
	var data struct {
		SubscriptionID *string `json:"subscription_id"`
		PaymentID      string  `json:"payment_id"`
		Status         *string `json:"status"`
	}
	_ = json.Unmarshal(event.Data, &data)
	got := receivedWebhook{
		ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
		Signature: r.Header.Get("webhook-signature"), Body: body, Event: event,
		SubID: ptr.Deref(data.SubscriptionID, ""), Status: ptr.Deref(data.Status, ""), Object: data.PaymentID,
	}
	if got.Object == "" {
		got.Object = got.SubID
	}
	rc.mu.Lock()
	rc.tries[got.ID]++
	attempt := rc.tries[got.ID]
	respond := rc.respond
	rc.mu.Unlock()
	status := http.StatusOK
	if respond != nil {
		status = respond(attempt, got.ID)
	}
	if status < 300 {
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		rc.mu.Unlock()
	}
	w.WriteHeader(status)
}

// received returns the accepted deliveries, in arrival order.
func (rc *receiver) received() []receivedWebhook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedWebhook(nil), rc.got...)
}

// setRespond decides the status of each later attempt.
func (rc *receiver) setRespond(respond func(attempt int, id string) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = respond
}

// attemptsOf returns how many times the receiver saw a webhook-id.
func (rc *receiver) attemptsOf(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.tries[id]
}

// typesFor lists the event types received about a subscription (its own
// events and its payments'), in arrival order.
func (rc *receiver) typesFor(subID string) []string {
	var types []string
	for _, w := range rc.received() {
		if w.SubID == subID {
			types = append(types, string(w.Event.Type))
		}
	}
	return types
}

// harness runs a simulator on a fake business clock and a fake wall clock.
type harness struct {
	t    *testing.T
	sim  *Simulator
	srv  *httptest.Server
	base *testingclock.FakePassiveClock
	wall *testingclock.FakeClock
	hook *receiver
}

func newHarness(t *testing.T, configure ...func(*Config)) *harness {
	t.Helper()
	h := &harness{
		t:    t,
		base: testingclock.NewFakePassiveClock(testStart),
		wall: testingclock.NewFakeClock(time.Now()),
		hook: newReceiver(t),
	}
	cfg := Config{
		APIKeys: []string{testAPIKey}, Clock: h.base, WallClock: h.wall, Seed: 1,
		WebhookEndpoints: []WebhookEndpoint{{URL: h.hook.server.URL, Secret: testSecret}},
	}
	for _, c := range configure {
		c(&cfg)
	}
	sim, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.sim = sim
	h.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		h.srv.Close()
		if err := sim.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := sim.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return h
}

// call sends an authenticated API request and returns status and body.
func (h *harness) call(method, path string, body any) (int, []byte) {
	h.t.Helper()
	return h.callWithKey(testAPIKey, method, path, body)
}

func (h *harness) callWithKey(key, method, path string, body any) (int, []byte) {
	h.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		encoded, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, reader)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// mustCall requires a 200 and decodes the body into out (when not nil).
func (h *harness) mustCall(method, path string, body, out any) {
	h.t.Helper()
	status, raw := h.call(method, path, body)
	if status != http.StatusOK {
		h.t.Fatalf("%s %s: status %d: %s", method, path, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// wantError requires the status and Dodo error code.
func (h *harness) wantError(method, path string, body any, status int, code string) {
	h.t.Helper()
	got, raw := h.call(method, path, body)
	var e dodo.ErrorBody
	_ = json.Unmarshal(raw, &e)
	if got != status || e.Code != code {
		h.t.Fatalf("%s %s: got %d %q (%s), want %d %q", method, path, got, e.Code, raw, status, code)
	}
}

func (h *harness) create(req dodo.CreateSubscriptionRequest) dodo.CreateSubscriptionResponse {
	h.t.Helper()
	var resp dodo.CreateSubscriptionResponse
	h.mustCall(http.MethodPost, "/subscriptions", req, &resp)
	return resp
}

func (h *harness) subscription(id string) dodo.Subscription {
	h.t.Helper()
	var sub dodo.Subscription
	h.mustCall(http.MethodGet, "/subscriptions/"+id, nil, &sub)
	return sub
}

func (h *harness) payment(id string) dodo.Payment {
	h.t.Helper()
	var p dodo.Payment
	h.mustCall(http.MethodGet, "/payments/"+id, nil, &p)
	return p
}

func (h *harness) payments(subID string) []dodo.PaymentListItem {
	h.t.Helper()
	var list dodo.PaymentList
	h.mustCall(http.MethodGet, "/payments?page_size=100&subscription_id="+subID, nil, &list)
	return list.Items
}

// flush waits (event-driven, bounded) until every webhook was delivered.
func (h *harness) flush() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.sim.Flush(ctx); err != nil {
		h.t.Fatalf("flush: %v", err)
	}
}

// newSubReq is a create request for a new customer with a saved default card.
func newSubReq(product, email string) dodo.CreateSubscriptionRequest {
	return dodo.CreateSubscriptionRequest{
		ProductID: product, Quantity: 1, Billing: dodo.BillingAddress{Country: "US"},
		Customer: dodo.NewCustomer(email, "Test Customer", ""),
	}
}

// onDemandReq is a mandate-only on-demand subscription request.
func onDemandReq(email string) dodo.CreateSubscriptionRequest {
	req := newSubReq("pdt_sim_on_demand", email)
	req.OnDemand = &dodo.OnDemand{MandateOnly: true}
	return req
}

func statusOf(p dodo.Payment) dodo.PaymentStatus { return p.StatusOrEmpty() }

func assertEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// expectEvents waits until every webhook so far was delivered, then checks the types of
// the subscription's events from the skip-th on.
func (h *harness) expectEvents(subscriptionID string, skip int, want []string) {
	h.t.Helper()
	h.flush()
	assertTypes(h.t, "events", h.hook.typesFor(subscriptionID)[skip:], want)
}

func assertTypes(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func decodeJSON(t *testing.T, raw []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func jsonUnmarshal(raw []byte, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %s: %w", raw, err)
	}
	return nil
}
