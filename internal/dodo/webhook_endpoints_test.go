package dodo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

const endpointBody = `{"id":"whk_1","url":"https://hooks.example/dodo","description":"d","metadata":{"k":"v"},` +
	`"filter_types":["payment.succeeded"],"disabled":null,"rate_limit":null,"created_at":"2026-01-01T00:00:00Z",` +
	`"updated_at":"2026-01-01T00:00:00Z"}`

func accountEndpointCases() []endpointCase {
	return []endpointCase{
		{
			name: "list brands", respond: `{"items":[{"brand_id":"bnd_1","business_id":"bus_1","enabled":true,` +
				`"statement_descriptor":"ACME","verification_enabled":false,"verification_status":"Success","name":null}]}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ListBrands(ctx)
				return value(r, err, func() string { return r[0].BusinessID + " " + r[0].DisplayName() })
			},
			method: "GET", path: "/brands", wantValue: "bus_1 bnd_1",
		},
		{
			name: "create webhook endpoint sends the idempotency key in the body", respond: endpointBody,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.CreateWebhookEndpoint(ctx, CreateWebhookEndpointRequest{URL: "https://hooks.example/dodo",
					Description: "d", FilterTypes: []EventType{EventPaymentSucceeded}, IdempotencyKey: "key-1",
					Metadata: map[string]string{"k": "v"}})
				return value(r, err, func() string { return r.ID + " " + fmt.Sprint(r.Accepts(EventPaymentFailed)) })
			},
			method: "POST", path: "/webhooks",
			body: `{"url":"https://hooks.example/dodo","description":"d","filter_types":["payment.succeeded"],` +
				`"idempotency_key":"key-1","metadata":{"k":"v"}}`,
			wantValue: "whk_1 false",
		},
		{
			name: "get webhook endpoint secret", respond: `{"secret":"whsec_c2VjcmV0Cg=="}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.GetWebhookEndpointSecret(ctx, "whk_1")
				return value(r, err, func() string { return r.Reveal() + " " + fmt.Sprint(r) })
			},
			method: "GET", path: "/webhooks/whk_1/secret", wantValue: "whsec_c2VjcmV0Cg== [redacted]",
		},
		{
			name: "delete webhook endpoint with an empty answer", respond: "",
			call: func(ctx context.Context, c *Client) (string, error) {
				return "deleted", c.DeleteWebhookEndpoint(ctx, "whk_1")
			},
			method: "DELETE", path: "/webhooks/whk_1", wantValue: "deleted",
		},
		{
			name: "list webhook endpoints: a short page is the last", respond: `{"data":[` + endpointBody + `],"iterator":"it_1","done":true}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ListWebhookEndpoints(ctx)
				return value(r, err, func() string { return fmt.Sprintf("%d %s", len(r), r[0].URL) })
			},
			method: "GET", path: "/webhooks", query: "limit=100", wantValue: "1 https://hooks.example/dodo",
		},
	}
}

func TestAccountEndpointsWire(t *testing.T) {
	runEndpointCases(t, accountEndpointCases())
}

// fullEndpointPage is a page of webhookListLimit endpoints (the same ones every time).
func fullEndpointPage(iterator string) string {
	items := make([]string, webhookListLimit)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"a%d","url":"https://h/%d"}`, i, i)
	}
	return `{"data":[` + strings.Join(items, ",") + `],"iterator":"` + iterator + `","done":false}`
}

func TestListWebhookEndpointsFollowsTheCursor(t *testing.T) {
	tests := []struct {
		name      string
		pages     []string
		wantCount int
		wantCalls int
	}{
		{"full page then short page", []string{fullEndpointPage("it_1"), `{"data":[{"id":"b"}],"iterator":"it_2"}`}, 101, 2},
		{"full page then empty page", []string{fullEndpointPage("it_1"), `{"data":[],"iterator":null}`}, 100, 2},
		{"a repeated iterator stops", []string{fullEndpointPage("it_1"), fullEndpointPage("it_1")}, 100, 2},
		{"a full page without iterator is the last", []string{fullEndpointPage("")}, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handlers := make([]http.HandlerFunc, 0, len(tt.pages))
			for _, p := range tt.pages {
				handlers = append(handlers, respondJSON(http.StatusOK, p))
			}
			h := newHarness(t, sequence(handlers...), nil)
			got, err := h.client.ListWebhookEndpoints(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			reqs := h.recorder.Requests()
			if len(got) != tt.wantCount || len(reqs) != tt.wantCalls {
				t.Fatalf("got %d endpoints in %d calls, want %d in %d", len(got), len(reqs), tt.wantCount, tt.wantCalls)
			}
			if len(reqs) > 1 && reqs[1].RawQuery != "iterator=it_1&limit=100" {
				t.Errorf("second page query = %q", reqs[1].RawQuery)
			}
		})
	}
}

func TestCreateWebhookEndpointIsRefusedWithoutKeyAndNeverRetried(t *testing.T) {
	h := newHarness(t, sequence(dropConnection, respondJSON(http.StatusOK, endpointBody)), nil)
	ctx := testContext(t)
	_, err := h.client.CreateWebhookEndpoint(ctx, CreateWebhookEndpointRequest{URL: "https://h/x"})
	if !errors.Is(err, ErrMissingRequiredField) || len(h.recorder.Requests()) != 0 {
		t.Fatalf("create without key: err %v after %d requests; want a local refusal", err, len(h.recorder.Requests()))
	}
	_, err = h.client.CreateWebhookEndpoint(ctx, CreateWebhookEndpointRequest{URL: "https://h/x", IdempotencyKey: "k"})
	if !IsOutcomeUnknown(err) || len(h.recorder.Requests()) != 1 {
		t.Fatalf("lost answer: err %v after %d requests; want outcome unknown after 1", err, len(h.recorder.Requests()))
	}
}

func TestWebhookSecretNeverPrinted(t *testing.T) {
	h := newHarness(t, respondJSON(http.StatusOK, `{"secret":"whsec_TOPSECRET"}`), nil)
	secret, err := h.client.GetWebhookEndpointSecret(testContext(t), "whk_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, printed := range []string{fmt.Sprint(secret), fmt.Sprintf("%v %+v %#v %s %q", secret, secret, secret, secret, secret)} {
		if strings.Contains(printed, "TOPSECRET") {
			t.Fatalf("secret printed: %s", printed)
		}
	}
}

func TestReceiverEventTypesAreTheReceiversFamilies(t *testing.T) {
	types := ReceiverEventTypes()
	for _, typ := range types {
		if !typ.IsPaymentEvent() && !typ.IsSubscriptionEvent() {
			t.Errorf("%s is not a type the receiver applies", typ)
		}
	}
	sorted := slices.Clone(types)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(types) {
		t.Errorf("duplicate types in %v", types)
	}
}

func TestWebhookEndpointAccepts(t *testing.T) {
	tests := []struct {
		name string
		ep   WebhookEndpoint
		typ  EventType
		want bool
	}{
		{"no filter takes every type", WebhookEndpoint{}, EventSubscriptionPaused, true},
		{"a listed type", WebhookEndpoint{FilterTypes: []EventType{EventPaymentFailed}}, EventPaymentFailed, true},
		{"an unlisted type", WebhookEndpoint{FilterTypes: []EventType{EventPaymentFailed}}, EventPaymentSucceeded, false},
		{"disabled takes none", WebhookEndpoint{Disabled: true}, EventPaymentFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ep.Accepts(tt.typ); got != tt.want {
				t.Errorf("Accepts(%s) = %v, want %v", tt.typ, got, tt.want)
			}
		})
	}
}
