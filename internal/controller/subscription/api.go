package subscription

import (
	"context"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Reader is the part of the payments API the controller reads with.
type Reader interface {
	GetSubscription(ctx context.Context, subscriptionID string) (*dodo.Subscription, error)
	ListAllSubscriptions(ctx context.Context, params dodo.ListSubscriptionsParams) ([]dodo.SubscriptionListItem, error)
	ListAllPayments(ctx context.Context, params dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error)
	GetPayment(ctx context.Context, paymentID string) (*dodo.Payment, error)
}

// Writer is the part of the payments API that changes a subscription. Every call is
// announced with an Event.
type Writer interface {
	CreateSubscription(ctx context.Context, req dodo.CreateSubscriptionRequest) (*dodo.CreateSubscriptionResponse, error)
	UpdateSubscription(ctx context.Context, subscriptionID string, req dodo.UpdateSubscriptionRequest) (*dodo.Subscription, error)
	ChangePlan(ctx context.Context, subscriptionID string, req dodo.ChangePlanRequest) (*dodo.ChangePlanResponse, error)
	UpdatePaymentMethod(ctx context.Context, subscriptionID string,
		req dodo.UpdatePaymentMethodRequest) (*dodo.UpdatePaymentMethodResponse, error)
}

// PaymentsAPI is what the controller needs of Dodo: *dodo.Client, or a fake in tests.
type PaymentsAPI interface {
	Reader
	Writer
}

// countingAPI counts the calls of one reconcile, for the calls-per-reconcile metric and
// for tests that prove steady state makes no writes.
type countingAPI struct {
	api          PaymentsAPI
	reads, write int
}

func (c *countingAPI) GetSubscription(ctx context.Context, id string) (*dodo.Subscription, error) {
	c.reads++
	return c.api.GetSubscription(ctx, id)
}

func (c *countingAPI) ListAllSubscriptions(ctx context.Context, p dodo.ListSubscriptionsParams) ([]dodo.SubscriptionListItem, error) {
	c.reads++
	return c.api.ListAllSubscriptions(ctx, p)
}

func (c *countingAPI) ListAllPayments(ctx context.Context, p dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error) {
	c.reads++
	return c.api.ListAllPayments(ctx, p)
}

func (c *countingAPI) GetPayment(ctx context.Context, id string) (*dodo.Payment, error) {
	c.reads++
	return c.api.GetPayment(ctx, id)
}

func (c *countingAPI) CreateSubscription(ctx context.Context,
	req dodo.CreateSubscriptionRequest) (*dodo.CreateSubscriptionResponse, error) {
	c.write++
	return c.api.CreateSubscription(ctx, req)
}

func (c *countingAPI) UpdateSubscription(ctx context.Context, id string, req dodo.UpdateSubscriptionRequest) (*dodo.Subscription, error) {
	c.write++
	return c.api.UpdateSubscription(ctx, id, req)
}

func (c *countingAPI) ChangePlan(ctx context.Context, id string, req dodo.ChangePlanRequest) (*dodo.ChangePlanResponse, error) {
	c.write++
	return c.api.ChangePlan(ctx, id, req)
}

func (c *countingAPI) UpdatePaymentMethod(ctx context.Context, id string,
	req dodo.UpdatePaymentMethodRequest) (*dodo.UpdatePaymentMethodResponse, error) {
	c.write++
	return c.api.UpdatePaymentMethod(ctx, id, req)
}
