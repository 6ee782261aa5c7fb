package dodo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Webhook endpoint routes (Dodo's Go SDK webhook.go); also the metrics labels.
const (
	RouteWebhooks      = "/webhooks"
	RouteWebhook       = "/webhooks/{id}"
	RouteWebhookSecret = "/webhooks/{id}/secret"
)

// MaxWebhookEndpoints is how many endpoints a business may have (Dodo's webhook guide).
const MaxWebhookEndpoints = 5

// webhookListLimit is the page size asked of GET /webhooks: a business has at most 5
// endpoints, so one page holds them all.
const webhookListLimit = 100

// ReceiverEventTypes are the event types the webhook receiver applies (the payment.* and
// subscription.* families), as the filter_types of an endpoint the operator registers.
// Only the types in Dodo's filter enum (the Go SDK's WebhookEventType) are listed, so Dodo
// does not refuse the endpoint: subscription.paused, .unpaused and .update_payment_method
// are not in it, and their state changes also arrive as subscription.updated.
func ReceiverEventTypes() []EventType {
	return []EventType{
		EventPaymentSucceeded, EventPaymentFailed, EventPaymentProcessing, EventPaymentCancelled,
		EventSubscriptionActive, EventSubscriptionRenewed, EventSubscriptionOnHold,
		EventSubscriptionCancelled, EventSubscriptionFailed, EventSubscriptionExpired,
		EventSubscriptionPlanChanged, EventSubscriptionUpdated,
	}
}

// WebhookEndpoint is a webhook endpoint of the business (the SDK's WebhookDetails).
type WebhookEndpoint struct {
	ID          string            `json:"id"`
	URL         string            `json:"url"`
	Description string            `json:"description"`
	Metadata    map[string]string `json:"metadata"`
	// FilterTypes limits the events sent; empty sends every event.
	FilterTypes []EventType `json:"filter_types"`
	Disabled    bool        `json:"disabled"`
	RateLimit   *int64      `json:"rate_limit"`
	// CreatedAt and UpdatedAt are kept as sent (the SDK types them as strings).
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// Accepts reports whether Dodo sends events of type t to the endpoint.
func (e WebhookEndpoint) Accepts(t EventType) bool {
	if e.Disabled {
		return false
	}
	return len(e.FilterTypes) == 0 || slices.Contains(e.FilterTypes, t)
}

// CreateWebhookEndpointRequest is the body of POST /webhooks.
type CreateWebhookEndpointRequest struct {
	URL         string      `json:"url"`
	Description string      `json:"description,omitempty"`
	FilterTypes []EventType `json:"filter_types,omitempty"`
	// IdempotencyKey is a body field (not a header): Dodo makes one endpoint per key, so a
	// create whose answer was lost is sent again with the same key.
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
}

// Validate checks the request before it is sent. The key is required: a create that
// cannot be repeated safely after a lost answer is never sent by this client.
func (r CreateWebhookEndpointRequest) Validate() error {
	switch {
	case r.URL == "":
		return fmt.Errorf("url: %w", ErrMissingRequiredField)
	case !strings.HasPrefix(r.URL, "https://") && !strings.HasPrefix(r.URL, "http://"):
		return fmt.Errorf("url must be http(s): %w", ErrInvalidRequest)
	case strings.TrimSpace(r.IdempotencyKey) == "":
		return fmt.Errorf("idempotency_key: %w", ErrMissingRequiredField)
	}
	return nil
}

// WebhookEndpointPage is the body of GET /webhooks: a cursor page.
type WebhookEndpointPage struct {
	Data     []WebhookEndpoint `json:"data"`
	Iterator *string           `json:"iterator"`
	Done     bool              `json:"done"`
}

// webhookSecretBody is the body of GET /webhooks/{id}/secret.
type webhookSecretBody struct {
	Secret string `json:"secret"`
}

// CreateWebhookEndpoint registers an endpoint (POST /webhooks). Like every write it is
// not retried by the client; on *OutcomeUnknownError send it again with the same
// IdempotencyKey.
func (c *Client) CreateWebhookEndpoint(ctx context.Context, req CreateWebhookEndpointRequest) (*WebhookEndpoint, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("dodo: create webhook endpoint: %w", err)
	}
	return doInto[WebhookEndpoint](ctx, c, call{method: http.MethodPost, route: RouteWebhooks, path: RouteWebhooks, body: req})
}

// GetWebhookEndpointSecret fetches an endpoint's signing secret (whsec_...). It is
// returned as a Secret, so printing or logging it shows "[redacted]".
func (c *Client) GetWebhookEndpointSecret(ctx context.Context, endpointID string) (Secret, error) {
	var out webhookSecretBody
	if err := c.withID(ctx, http.MethodGet, RouteWebhookSecret, endpointID, nil, &out); err != nil {
		return Secret{}, err
	}
	if out.Secret == "" {
		return Secret{}, fmt.Errorf("dodo: GET %s: secret: %w", RouteWebhookSecret, ErrMissingRequiredField)
	}
	return NewSecret(out.Secret), nil
}

// DeleteWebhookEndpoint deletes an endpoint; a 404 (*APIError, IsNotFound) means it is
// already gone.
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, endpointID string) error {
	return c.withID(ctx, http.MethodDelete, RouteWebhook, endpointID, nil, nil)
}

// ListWebhookEndpoints lists every endpoint of the business, following the cursor.
// Paging stops at a short page, an empty or repeated iterator, or the page cap: the SDK's
// pager reads "done" inconsistently, so it is not relied on.
func (c *Client) ListWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var all []WebhookEndpoint
	seen := map[string]bool{}
	iterator := ""
	for page := range c.maxPages {
		query := url.Values{"limit": {strconv.Itoa(webhookListLimit)}}
		if iterator != "" {
			query.Set("iterator", iterator)
		}
		var out WebhookEndpointPage
		err := c.do(ctx, call{method: http.MethodGet, route: RouteWebhooks, path: RouteWebhooks, query: query, out: &out})
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		for _, ep := range out.Data {
			if !seen[ep.ID] {
				seen[ep.ID] = true
				all = append(all, ep)
			}
		}
		next := ""
		if out.Iterator != nil {
			next = *out.Iterator
		}
		if len(out.Data) < webhookListLimit || next == "" || next == iterator {
			return all, nil
		}
		iterator = next
	}
	return all, fmt.Errorf("%w (%d pages)", ErrTooManyPages, c.maxPages)
}

// MarshalJSON keeps nil metadata as {} (the SDK marks it required).
func (e WebhookEndpoint) MarshalJSON() ([]byte, error) {
	type plain WebhookEndpoint
	if e.Metadata == nil {
		e.Metadata = map[string]string{}
	}
	return json.Marshal(plain(e))
}
