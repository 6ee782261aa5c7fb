package dodo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Route templates; also the "endpoint" metrics label.
const (
	RouteSubscriptions          = "/subscriptions"
	RouteSubscription           = "/subscriptions/{id}"
	RouteChangePlan             = "/subscriptions/{id}/change-plan"
	RouteCharge                 = "/subscriptions/{id}/charge"
	RouteUpdatePaymentMethod    = "/subscriptions/{id}/update-payment-method"
	RoutePayments               = "/payments"
	RoutePayment                = "/payments/{id}"
	RouteCustomerPaymentMethods = "/customers/{id}/payment-methods"
)

// expandRoute substitutes an escaped ID for {id}; an empty ID is refused so
// that a missing ID never turns into another endpoint.
func expandRoute(route, id string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", fmt.Errorf("dodo: %s: empty id: %w", route, ErrMissingRequiredField)
	}
	return strings.Replace(route, "{id}", url.PathEscape(id), 1), nil
}

func (c *Client) withID(ctx context.Context, method, route, id string, body, out any) error {
	path, err := expandRoute(route, id)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: method, route: route, path: path, body: body, out: out})
}

// doInto makes the call and decodes the response into a new T.
func doInto[T any](ctx context.Context, c *Client, cl call) (*T, error) {
	var out T
	cl.out = &out
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return &out, nil
}

// listItems makes a list call and returns the items of the page it answers
// ({"items": [...]}, as SubscriptionList, PaymentList and BrandList are).
func listItems[T any](ctx context.Context, c *Client, route string, query url.Values) ([]T, error) {
	var out struct {
		Items []T `json:"items"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, route: route, path: route, query: query, out: &out}); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// withIDInto is withID decoding the response into a new T.
func withIDInto[T any](ctx context.Context, c *Client, method, route, id string, body any) (*T, error) {
	var out T
	if err := c.withID(ctx, method, route, id, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateSubscription creates a subscription (POST /subscriptions). It is
// never retried after it may have been sent: on *OutcomeUnknownError look the
// subscription up (by metadata) before creating again.
func (c *Client) CreateSubscription(ctx context.Context, req CreateSubscriptionRequest) (*CreateSubscriptionResponse, error) {
	if err := errors.Join(req.Validate(), ValidateMetadata(req.Metadata)); err != nil {
		return nil, fmt.Errorf("dodo: create subscription: %w", err)
	}
	return doInto[CreateSubscriptionResponse](ctx, c,
		call{method: http.MethodPost, route: RouteSubscriptions, path: RouteSubscriptions, body: req})
}

// GetSubscription fetches a subscription.
func (c *Client) GetSubscription(ctx context.Context, subscriptionID string) (*Subscription, error) {
	return withIDInto[Subscription](ctx, c, http.MethodGet, RouteSubscription, subscriptionID, nil)
}

// ListSubscriptions fetches one page of subscriptions.
func (c *Client) ListSubscriptions(ctx context.Context, params ListSubscriptionsParams) ([]SubscriptionListItem, error) {
	return listItems[SubscriptionListItem](ctx, c, RouteSubscriptions, params.Values())
}

// UpdateSubscription patches a subscription (PATCH /subscriptions/{id}).
// Not retried after it may have been sent (see OutcomeUnknownError).
func (c *Client) UpdateSubscription(ctx context.Context, subscriptionID string, req UpdateSubscriptionRequest) (*Subscription, error) {
	if err := ValidateMetadata(req.Metadata); err != nil {
		return nil, fmt.Errorf("dodo: update subscription: %w", err)
	}
	return withIDInto[Subscription](ctx, c, http.MethodPatch, RouteSubscription, subscriptionID, req)
}

// ChangePlan changes a subscription's plan with a flat body. The response
// body is optional; a nil error means the API accepted the change.
func (c *Client) ChangePlan(ctx context.Context, subscriptionID string, req ChangePlanRequest) (*ChangePlanResponse, error) {
	if err := errors.Join(req.Validate(), ValidateMetadata(req.Metadata)); err != nil {
		return nil, fmt.Errorf("dodo: change plan: %w", err)
	}
	path, err := expandRoute(RouteChangePlan, subscriptionID)
	if err != nil {
		return nil, err
	}
	return doInto[ChangePlanResponse](ctx, c,
		call{method: http.MethodPost, route: RouteChangePlan, path: path, body: req, optionalBody: true})
}

// Charge creates an on-demand charge. It is never retried after it may have
// been sent: on *OutcomeUnknownError list the subscription's payments before
// charging again.
func (c *Client) Charge(ctx context.Context, subscriptionID string, req ChargeRequest) (*ChargeResponse, error) {
	if err := errors.Join(req.Validate(), ValidateMetadata(req.Metadata)); err != nil {
		return nil, fmt.Errorf("dodo: charge: %w", err)
	}
	return withIDInto[ChargeResponse](ctx, c, http.MethodPost, RouteCharge, subscriptionID, req)
}

// UpdatePaymentMethod switches a subscription's payment method; on an
// on_hold subscription it charges the dues. Never retried once maybe sent.
func (c *Client) UpdatePaymentMethod(
	ctx context.Context, subscriptionID string, req UpdatePaymentMethodRequest,
) (*UpdatePaymentMethodResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("dodo: update payment method: %w", err)
	}
	return withIDInto[UpdatePaymentMethodResponse](ctx, c, http.MethodPost, RouteUpdatePaymentMethod, subscriptionID, req)
}

// GetPayment fetches a payment.
func (c *Client) GetPayment(ctx context.Context, paymentID string) (*Payment, error) {
	return withIDInto[Payment](ctx, c, http.MethodGet, RoutePayment, paymentID, nil)
}

// ListPayments fetches one page of payments (filter by SubscriptionID to
// reconcile charges).
func (c *Client) ListPayments(ctx context.Context, params ListPaymentsParams) ([]PaymentListItem, error) {
	return listItems[PaymentListItem](ctx, c, RoutePayments, params.Values())
}

// ListCustomerPaymentMethods lists a customer's saved payment methods.
func (c *Client) ListCustomerPaymentMethods(ctx context.Context, customerID string) ([]CustomerPaymentMethod, error) {
	var out CustomerPaymentMethodList
	if err := c.withID(ctx, http.MethodGet, RouteCustomerPaymentMethods, customerID, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}
