package simulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

const testAdminToken = "admin-token-for-tests"

func TestAdminClockAndStateOverHTTP(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AdminToken = testAdminToken })
	resp := h.create(newSubReq("pdt_sim_basic", "admin@example.com"))
	h.wantError(http.MethodGet, "/_simulator/clock", nil, http.StatusUnauthorized, codeUnauthorized)

	admin := func(method, path string, body, out any) {
		t.Helper()
		status, raw := h.callWithKey(testAdminToken, method, path, body)
		if status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, status, raw)
		}
		if out != nil {
			decodeJSON(t, raw, out)
		}
	}
	var clock ClockView
	admin(http.MethodPost, "/_simulator/clock/advance", map[string]string{"duration": "720h"}, &clock)
	assertEqual(t, "advanced", clock.Now, testStart.Add(720*time.Hour))
	admin(http.MethodPost, "/_simulator/clock/set", SetTimeRequest{Time: testStart.AddDate(0, 2, 0)}, &clock)
	assertEqual(t, "set", clock.Now, testStart.AddDate(0, 2, 0))
	admin(http.MethodGet, "/_simulator/clock", nil, &clock)
	assertEqual(t, "get", clock.Now, testStart.AddDate(0, 2, 0))

	var state State
	admin(http.MethodGet, "/_simulator/state", nil, &state)
	assertEqual(t, "one subscription", len(state.Subscriptions), 1)
	assertEqual(t, "renewals ran", len(state.Payments), 3)
	assertEqual(t, "customer", state.Customers[0].ID, resp.Customer.CustomerID)
	assertEqual(t, "webhooks recorded", len(state.Webhooks) > 0, true)

	var faults Faults
	admin(http.MethodPost, "/_simulator/faults", map[string]any{"seed": 3, "webhook_duplicate_rate": 0.25,
		"routes": map[string]any{RouteCharge: map[string]any{"latency": "1ms"}}}, &faults)
	assertEqual(t, "faults latency", faults.Routes[RouteCharge].Latency, Duration(time.Millisecond))
	admin(http.MethodPost, "/_simulator/webhooks/flush", map[string]string{"timeout": "5s"}, nil)
}

func TestAdminWebhookEndpointsNeverShowSecrets(t *testing.T) {
	h := newHarness(t)
	other := newReceiver(t)
	var views []EndpointView
	h.mustCall(http.MethodPut, "/_simulator/webhook-endpoints", map[string]any{
		"endpoints": []map[string]any{{"url": other.server.URL, "secret": testSecret}},
	}, &views)
	assertEqual(t, "endpoints", len(views), 1)
	status, raw := h.call(http.MethodGet, "/_simulator/webhook-endpoints", nil)
	assertEqual(t, "status", status, http.StatusOK)
	if strings.Contains(string(raw), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") {
		t.Fatalf("secret leaked: %s", raw)
	}
	h.wantError(http.MethodPut, "/_simulator/webhook-endpoints", map[string]any{
		"endpoints": []map[string]any{{"url": other.server.URL, "secret": "plain"}},
	}, http.StatusUnprocessableEntity, codeInvalidRequestParameters)
	h.create(newSubReq("pdt_sim_basic", "moved@example.com"))
	h.flush()
	assertEqual(t, "new endpoint receives", len(other.received()), 3)
	assertEqual(t, "old endpoint does not", len(h.hook.received()), 0)
	for _, text := range []string{WebhookEndpoint{URL: "u", Secret: testSecret}.String(), mustJSON(t, WebhookEndpoint{URL: "u", Secret: testSecret})} {
		if strings.Contains(text, "MfKQ9r8G") {
			t.Fatalf("secret in %q", text)
		}
	}
}

func TestCheckoutFormPostRedirectsWithoutAdminToken(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AdminToken = testAdminToken })
	req := newSubReq("pdt_sim_basic", "form@example.com")
	req.PaymentLink = ptr.To(true)
	req.ReturnURL = ptr.To("https://merchant.example/return")
	resp := h.create(req)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := client.Get(*resp.PaymentLink)
	if err != nil {
		t.Fatal(err)
	}
	_ = page.Body.Close()
	assertEqual(t, "page without admin token", page.StatusCode, http.StatusOK)
	posted, err := client.PostForm(*resp.PaymentLink+"/complete", url.Values{"card_number": {"4242 4242 4242 4242"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = posted.Body.Close()
	assertEqual(t, "redirect", posted.StatusCode, http.StatusSeeOther)
	assertEqual(t, "to return_url", posted.Header.Get("Location"), "https://merchant.example/return")
	assertEqual(t, "activated", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusActive)
	h.wantError(http.MethodPost, "/_simulator/checkout/"+resp.SubscriptionID+"/complete",
		CompleteCheckoutRequest{CardNumber: "1234"}, http.StatusUnprocessableEntity, codeUnknownTestCard)
}
