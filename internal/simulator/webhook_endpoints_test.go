package simulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestBrandsNameTheBusiness(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BusinessID = "bus_acme" })
	var list dodo.BrandList
	h.mustCall(http.MethodGet, "/brands", nil, &list)
	if len(list.Items) != 1 || list.Items[0].BusinessID != "bus_acme" || list.Items[0].BrandID != DefaultBrandID {
		t.Fatalf("brands = %+v", list.Items)
	}
	if status, _ := h.callWithKey("sk_wrong", http.MethodGet, "/brands", nil); status != http.StatusUnauthorized {
		t.Fatalf("a wrong key got %d, want 401", status)
	}
}

func createEndpoint(h *harness, key string) dodo.WebhookEndpoint {
	h.t.Helper()
	var ep dodo.WebhookEndpoint
	h.mustCall(http.MethodPost, "/webhooks", dodo.CreateWebhookEndpointRequest{URL: "https://hooks.example/" + key,
		IdempotencyKey: key, Metadata: map[string]string{"owner": key}}, &ep)
	return ep
}

func listEndpoints(h *harness) []dodo.WebhookEndpoint {
	h.t.Helper()
	var page dodo.WebhookEndpointPage
	h.mustCall(http.MethodGet, "/webhooks", nil, &page)
	return page.Data
}

func TestCreateWebhookIsIdempotentOnTheKey(t *testing.T) {
	h := newHarness(t)
	first := createEndpoint(h, "key-a")
	again := createEndpoint(h, "key-a")
	other := createEndpoint(h, "key-b")
	if first.ID == "" || again.ID != first.ID || other.ID == first.ID {
		t.Fatalf("ids: first %q, same key %q, other key %q", first.ID, again.ID, other.ID)
	}
	got := listEndpoints(h)
	if len(got) != 2 || got[0].Metadata["owner"] != "key-a" || got[0].URL != "https://hooks.example/key-a" {
		t.Fatalf("list = %+v", got)
	}
}

func TestCreateWebhookWhoseAnswerIsLostCommitsOnce(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.SetFaults(Faults{Routes: map[string]RouteFaults{RouteCreateWebhook: {FailAfterCommitRate: 1}}}); err != nil {
		t.Fatal(err)
	}
	body := dodo.CreateWebhookEndpointRequest{URL: "https://hooks.example/x", IdempotencyKey: "k"}
	h.wantError(http.MethodPost, "/webhooks", body, http.StatusBadGateway, codeBadGateway)
	if err := h.sim.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	var ep dodo.WebhookEndpoint
	h.mustCall(http.MethodPost, "/webhooks", body, &ep)
	if got := listEndpoints(h); len(got) != 1 || got[0].ID != ep.ID {
		t.Fatalf("after a lost answer and a retry with the same key: %+v (retry answered %q)", got, ep.ID)
	}
}

func TestWebhookEndpointLimitAndValidation(t *testing.T) {
	h := newHarness(t)
	for i := range dodo.MaxWebhookEndpoints {
		createEndpoint(h, string(rune('a'+i)))
	}
	h.wantError(http.MethodPost, "/webhooks", dodo.CreateWebhookEndpointRequest{URL: "https://h/6", IdempotencyKey: "f"},
		http.StatusUnprocessableEntity, codeInvalidRequestParameters)
	createEndpoint(h, "a") // a replay is not a new endpoint
	h.wantError(http.MethodPost, "/webhooks", map[string]any{"url": "https://h/x", "filter_types": []string{"subscription.paused"}},
		http.StatusUnprocessableEntity, codeInvalidRequestBody)
	h.wantError(http.MethodPost, "/webhooks", map[string]any{"description": "no url"},
		http.StatusUnprocessableEntity, codeInvalidRequestBody)
}

func TestWebhookSecretAndDelete(t *testing.T) {
	h := newHarness(t)
	a, b := createEndpoint(h, "a"), createEndpoint(h, "b")
	var secretA, secretB webhookSecretAnswer
	h.mustCall(http.MethodGet, "/webhooks/"+a.ID+"/secret", nil, &secretA)
	h.mustCall(http.MethodGet, "/webhooks/"+b.ID+"/secret", nil, &secretB)
	if !strings.HasPrefix(secretA.Secret, "whsec_") || secretA.Secret == secretB.Secret {
		t.Fatalf("secrets must be whsec_ and differ per endpoint")
	}
	h.mustCall(http.MethodDelete, "/webhooks/"+a.ID, nil, nil)
	h.wantError(http.MethodDelete, "/webhooks/"+a.ID, nil, http.StatusNotFound, codeNotFound)
	h.wantError(http.MethodGet, "/webhooks/"+a.ID+"/secret", nil, http.StatusNotFound, codeNotFound)
	if got := listEndpoints(h); len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("after the delete: %+v", got)
	}
}

// captured is what an endpoint received, verified later with the secret fetched from the API.
type captured struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
}

func (c *captured) handler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies, c.heads = append(c.bodies, body), append(c.heads, r.Header.Clone())
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func TestRegisteredEndpointGetsItsFilteredEventsSignedWithItsSecret(t *testing.T) {
	h := newHarness(t)
	got := &captured{}
	srv := httptest.NewServer(http.HandlerFunc(got.handler))
	t.Cleanup(srv.Close)
	var ep dodo.WebhookEndpoint
	h.mustCall(http.MethodPost, "/webhooks", dodo.CreateWebhookEndpointRequest{URL: srv.URL,
		FilterTypes: []dodo.EventType{dodo.EventSubscriptionActive}, IdempotencyKey: "k"}, &ep)
	var secret webhookSecretAnswer
	h.mustCall(http.MethodGet, "/webhooks/"+ep.ID+"/secret", nil, &secret)
	sub := h.create(newSubReq("pdt_sim_basic", "filtered@example.com"))
	h.flush()
	verifier, err := standardwebhooks.NewWebhook(secret.Secret)
	if err != nil {
		t.Fatal(err)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	if len(got.bodies) != 1 {
		t.Fatalf("the registered endpoint got %d deliveries, want the one subscription.active", len(got.bodies))
	}
	if err := verifier.VerifyIgnoringTimestamp(got.bodies[0], got.heads[0]); err != nil {
		t.Fatalf("the delivery does not verify with the endpoint's own secret: %v", err)
	}
	event, _ := dodo.ParseWebhookEvent(got.bodies[0])
	if event.Type != dodo.EventSubscriptionActive {
		t.Fatalf("delivered %s", event.Type)
	}
	if types := h.hook.typesFor(sub.SubscriptionID); len(types) < 2 {
		t.Fatalf("the configured receiver lost events: %v", types)
	}
}
