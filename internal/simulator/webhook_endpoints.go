package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Account routes: the business's brands and its API-registered webhook endpoints. The
// endpoints of Config.WebhookEndpoints are the simulator's fixed receivers (Dodo's
// dashboard, as it were): they are not listed here and not counted against the limit.
const (
	RouteListBrands       = "GET /brands"
	RouteCreateWebhook    = "POST /webhooks"
	RouteListWebhooks     = "GET /webhooks"
	RouteGetWebhookSecret = "GET /webhooks/{webhook_id}/secret"
	RouteDeleteWebhook    = "DELETE /webhooks/{webhook_id}"
)

const prefixWebhookEndpoint = "whk_"

// filterTypes are the values Dodo's filter_types accepts (the Go SDK's WebhookEventType
// enum); others are refused, as an unknown enum value would be.
var filterTypes = []dodo.EventType{
	"payment.succeeded", "payment.failed", "payment.processing", "payment.cancelled",
	"refund.succeeded", "refund.failed",
	"dispute.opened", "dispute.expired", "dispute.accepted", "dispute.cancelled", "dispute.challenged",
	"dispute.won", "dispute.lost",
	"subscription.active", "subscription.renewed", "subscription.on_hold", "subscription.cancelled",
	"subscription.failed", "subscription.expired", "subscription.plan_changed", "subscription.updated",
	"license_key.created",
	"payout.not_initiated", "payout.on_hold", "payout.in_progress", "payout.failed", "payout.success",
	"credit.added", "credit.deducted", "credit.expired", "credit.rolled_over", "credit.rollover_forfeited",
	"credit.overage_charged", "credit.manual_adjustment", "credit.balance_low",
}

// registeredEndpoint is an endpoint created through POST /webhooks.
type registeredEndpoint struct {
	details dodo.WebhookEndpoint
	secret  string
}

// endpointRegistry holds the API-registered endpoints. Lock order: registry.mu, then the
// hub's lock; it never takes Simulator.mu.
type endpointRegistry struct {
	mu    sync.Mutex
	ids   *idGenerator
	byID  map[string]*registeredEndpoint
	order []string
	// byKey replays the first answer of each idempotency key, also after a delete.
	byKey map[string]dodo.WebhookEndpoint
}

func newEndpointRegistry(seed uint64) *endpointRegistry {
	// Its own ID sequence, so that seeded runs keep their subscription and payment IDs.
	return &endpointRegistry{ids: newIDGenerator(seed ^ 0x5bd1e995), byID: map[string]*registeredEndpoint{},
		byKey: map[string]dodo.WebhookEndpoint{}}
}

func (s *Simulator) accountRoutes(mux *http.ServeMux) {
	s.handleAPI(mux, RouteListBrands, s.httpListBrands)
	s.handleAPI(mux, RouteCreateWebhook, s.httpCreateWebhook)
	s.handleAPI(mux, RouteListWebhooks, s.httpListWebhooks)
	s.handleAPI(mux, RouteGetWebhookSecret, s.httpGetWebhookSecret)
	s.handleAPI(mux, RouteDeleteWebhook, s.httpDeleteWebhook)
}

// httpListBrands answers the simulator's one brand.
func (s *Simulator) httpListBrands(*http.Request) (any, error) {
	name, descriptor := "Simulator", "DODO SIMULATOR"
	return dodo.BrandList{Items: []dodo.Brand{{
		BrandID: s.cfg.BrandID, BusinessID: s.cfg.BusinessID, Enabled: true, StatementDescriptor: descriptor,
		VerificationStatus: "Success", Name: &name,
	}}}, nil
}

func (s *Simulator) httpCreateWebhook(r *http.Request) (any, error) {
	var req dodo.CreateWebhookEndpointRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := validateWebhookRequest(req); err != nil {
		return nil, err
	}
	return s.createWebhook(req)
}

func validateWebhookRequest(req dodo.CreateWebhookEndpointRequest) error {
	if req.URL == "" {
		return unprocessable(codeInvalidRequestBody, "url is required")
	}
	if !strings.HasPrefix(req.URL, "http://") && !strings.HasPrefix(req.URL, "https://") {
		return unprocessable(codeInvalidRequestParameters, "url must be http(s)")
	}
	for _, t := range req.FilterTypes {
		if !slices.Contains(filterTypes, t) {
			return unprocessable(codeInvalidRequestBody, "filter_types: unknown event type %q", t)
		}
	}
	return nil
}

// createWebhook registers an endpoint with a fresh secret. A known idempotency key
// answers the endpoint it made first and creates nothing.
func (s *Simulator) createWebhook(req dodo.CreateWebhookEndpointRequest) (dodo.WebhookEndpoint, error) {
	reg := s.endpoints
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if first, ok := reg.byKey[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return first, nil
	}
	if len(reg.order) >= dodo.MaxWebhookEndpoints {
		return dodo.WebhookEndpoint{}, unprocessable(codeInvalidRequestParameters,
			"a business has at most %d webhook endpoints", dodo.MaxWebhookEndpoints)
	}
	secret, err := GenerateWebhookSecret()
	if err != nil {
		return dodo.WebhookEndpoint{}, err
	}
	now := s.Now().UTC().Format(time.RFC3339)
	ep := &registeredEndpoint{secret: secret, details: dodo.WebhookEndpoint{
		ID: reg.ids.next(prefixWebhookEndpoint), URL: req.URL, Description: req.Description,
		Metadata: req.Metadata, FilterTypes: slices.Clone(req.FilterTypes), CreatedAt: now, UpdatedAt: now,
	}}
	if err := s.hub.addRegistered(ep.details, secret); err != nil {
		return dodo.WebhookEndpoint{}, err
	}
	reg.byID[ep.details.ID] = ep
	reg.order = append(reg.order, ep.details.ID)
	if req.IdempotencyKey != "" {
		reg.byKey[req.IdempotencyKey] = ep.details
	}
	return ep.details, nil
}

// httpListWebhooks answers every endpoint on one page (a business has at most five).
func (s *Simulator) httpListWebhooks(*http.Request) (any, error) {
	return dodo.WebhookEndpointPage{Data: s.RegisteredWebhookEndpoints(), Done: true}, nil
}

// RegisteredWebhookEndpoints returns the endpoints registered through the API, oldest
// first (without their secrets).
func (s *Simulator) RegisteredWebhookEndpoints() []dodo.WebhookEndpoint {
	reg := s.endpoints
	reg.mu.Lock()
	defer reg.mu.Unlock()
	out := make([]dodo.WebhookEndpoint, 0, len(reg.order))
	for _, id := range reg.order {
		out = append(out, reg.byID[id].details)
	}
	return out
}

type webhookSecretAnswer struct {
	Secret string `json:"secret"`
}

func (s *Simulator) httpGetWebhookSecret(r *http.Request) (any, error) {
	id := r.PathValue("webhook_id")
	reg := s.endpoints
	reg.mu.Lock()
	defer reg.mu.Unlock()
	ep, ok := reg.byID[id]
	if !ok {
		return nil, notFound("webhook", id)
	}
	return webhookSecretAnswer{Secret: ep.secret}, nil
}

func (s *Simulator) httpDeleteWebhook(r *http.Request) (any, error) {
	id := r.PathValue("webhook_id")
	reg := s.endpoints
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if _, ok := reg.byID[id]; !ok {
		return nil, notFound("webhook", id)
	}
	delete(reg.byID, id)
	reg.order = slices.DeleteFunc(reg.order, func(other string) bool { return other == id })
	s.hub.removeRegistered(id)
	return nil, nil
}

// addRegistered starts delivering to an API-registered endpoint: the events its filter
// takes, signed with its own secret.
func (h *webhookHub) addRegistered(ep dodo.WebhookEndpoint, secret string) error {
	signer, err := newSigner(secret)
	if err != nil {
		return err
	}
	q := &endpointQueue{ep: WebhookEndpoint{URL: ep.URL, Secret: secret}, id: ep.ID,
		filter: slices.Clone(ep.FilterTypes), signers: []*standardwebhooks.Webhook{signer}}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return fmt.Errorf("simulator closed")
	}
	h.initQueueLocked(q)
	h.registered = append(h.registered, q)
	return nil
}

// removeRegistered stops an endpoint at once; what it still had to deliver is dropped.
func (h *webhookHub) removeRegistered(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.registered = slices.DeleteFunc(h.registered, func(q *endpointQueue) bool {
		if q.id != id {
			return false
		}
		h.removeLocked(q)
		return true
	})
	h.notifyLocked()
}

// accepts reports whether the endpoint's filter takes the event type (empty takes all).
func (q *endpointQueue) accepts(t dodo.EventType) bool {
	return len(q.filter) == 0 || slices.Contains(q.filter, t)
}
