package dodo

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"k8s.io/utils/ptr"
)

const (
	subscriptionBody = `{"subscription_id":"sub_1","status":"active","product_id":"pdt_1","quantity":1,"metadata":{}}`
	paymentBody      = `{"payment_id":"pay_1","status":"processing","total_amount":2500,"metadata":{}}`
)

// endpointCase is one call of the client and the exact request it must make.
type endpointCase struct {
	name      string
	respond   string
	call      func(context.Context, *Client) (string, error)
	method    string
	path      string
	query     string
	body      string
	wantValue string
}

func subscriptionEndpointCases() []endpointCase {
	return []endpointCase{
		{
			name:    "create subscription",
			respond: `{"subscription_id":"sub_new","payment_id":"pay_0","customer":{"customer_id":"cus_1"},"metadata":{},"recurring_pre_tax_amount":0,"addons":[]}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.CreateSubscription(ctx, CreateSubscriptionRequest{ProductID: "pdt_1", Quantity: 1,
					Billing: BillingAddress{Country: "US"}, Customer: ExistingCustomer("cus_1"), OnDemand: &OnDemand{MandateOnly: true}})
				return value(r, err, func() string { return r.SubscriptionID })
			},
			method: "POST", path: "/subscriptions",
			body:      `{"product_id":"pdt_1","quantity":1,"billing":{"country":"US"},"customer":{"customer_id":"cus_1"},"on_demand":{"mandate_only":true}}`,
			wantValue: "sub_new",
		},
		{
			name: "get subscription", respond: subscriptionBody,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.GetSubscription(ctx, "sub_1")
				return value(r, err, func() string { return string(r.Status) })
			},
			method: "GET", path: "/subscriptions/sub_1", wantValue: "active",
		},
		{
			name: "get subscription escapes the id", respond: subscriptionBody,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.GetSubscription(ctx, "sub/../x")
				return value(r, err, func() string { return r.SubscriptionID })
			},
			method: "GET", path: "/subscriptions/sub%2F..%2Fx", wantValue: "sub_1",
		},
		{
			name: "list subscriptions", respond: `{"items":[{"subscription_id":"sub_1","status":"on_hold"}]}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ListSubscriptions(ctx, ListSubscriptionsParams{CustomerID: "cus_1", PageNumber: ptr.To(2), PageSize: 5})
				return value(r, err, func() string { return fmt.Sprintf("%d %s", len(r), r[0].Status) })
			},
			method: "GET", path: "/subscriptions", query: "customer_id=cus_1&page_number=2&page_size=5", wantValue: "1 on_hold",
		},
		{
			name: "patch subscription", respond: subscriptionBody,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.UpdateSubscription(ctx, "sub_1", UpdateSubscriptionRequest{Status: ptr.To(SubscriptionStatusCancelled)})
				return value(r, err, func() string { return r.SubscriptionID })
			},
			method: "PATCH", path: "/subscriptions/sub_1", body: `{"status":"cancelled"}`, wantValue: "sub_1",
		},
	}
}

func writeEndpointCases() []endpointCase {
	return []endpointCase{
		{
			name: "change plan with empty body", respond: "",
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ChangePlan(ctx, "sub_1", ChangePlanRequest{ProductID: "pdt_2", Quantity: 1, ProrationBillingMode: ProrationDoNotBill})
				return value(r, err, func() string { return fmt.Sprint(r.PaymentID == nil) })
			},
			method: "POST", path: "/subscriptions/sub_1/change-plan",
			body: `{"product_id":"pdt_2","quantity":1,"proration_billing_mode":"do_not_bill"}`, wantValue: "true",
		},
		{
			name: "change plan with JSON body", respond: `{"status":"processing","payment_id":"pay_456","invoice_id":"inv_789"}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ChangePlan(ctx, "sub_1", ChangePlanRequest{ProductID: "pdt_2", Quantity: 1, ProrationBillingMode: ProrationFullImmediately})
				return value(r, err, func() string { return *r.PaymentID })
			},
			method: "POST", path: "/subscriptions/sub_1/change-plan",
			body: `{"product_id":"pdt_2","quantity":1,"proration_billing_mode":"full_immediately"}`, wantValue: "pay_456",
		},
		{
			name: "change plan with non-JSON body is still a success", respond: "OK",
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ChangePlan(ctx, "sub_1", ChangePlanRequest{ProductID: "pdt_2", Quantity: 1, ProrationBillingMode: ProrationDoNotBill})
				return value(r, err, func() string { return fmt.Sprint(r.PaymentID == nil) })
			},
			method: "POST", path: "/subscriptions/sub_1/change-plan",
			body: `{"product_id":"pdt_2","quantity":1,"proration_billing_mode":"do_not_bill"}`, wantValue: "true",
		},
		{
			name: "charge", respond: `{"payment_id":"pay_9"}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.Charge(ctx, "sub_1", ChargeRequest{ProductPrice: 2500, Metadata: Metadata{"retry_attempt": "0"}})
				return value(r, err, func() string { return r.PaymentID })
			},
			method: "POST", path: "/subscriptions/sub_1/charge",
			body: `{"product_price":2500,"metadata":{"retry_attempt":"0"}}`, wantValue: "pay_9",
		},
		{
			name: "update payment method existing", respond: `{"payment_id":"pay_dues","client_secret":null,"expires_on":null,"payment_link":null}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.UpdatePaymentMethod(ctx, "sub_1", UseExistingPaymentMethod("pm_1"))
				return value(r, err, func() string { return *r.PaymentID })
			},
			method: "POST", path: "/subscriptions/sub_1/update-payment-method",
			body: `{"type":"existing","payment_method_id":"pm_1"}`, wantValue: "pay_dues",
		},
		{
			name: "update payment method new", respond: `{"payment_link":"https://pay/x","client_secret":"cs_1"}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.UpdatePaymentMethod(ctx, "sub_1", UseNewPaymentMethod(ptr.To("https://r")))
				return value(r, err, func() string { return *r.PaymentLink })
			},
			method: "POST", path: "/subscriptions/sub_1/update-payment-method",
			body: `{"type":"new","return_url":"https://r"}`, wantValue: "https://pay/x",
		},
	}
}

func paymentEndpointCases() []endpointCase {
	return []endpointCase{
		{
			name: "get payment", respond: paymentBody,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.GetPayment(ctx, "pay_1")
				return value(r, err, func() string { return string(r.StatusOrEmpty()) })
			},
			method: "GET", path: "/payments/pay_1", wantValue: "processing",
		},
		{
			name: "list payments by subscription", respond: `{"items":[{"payment_id":"pay_1","status":"failed"},{"payment_id":"pay_2","status":null}]}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ListPayments(ctx, ListPaymentsParams{SubscriptionID: "sub_1"})
				return value(r, err, func() string { return fmt.Sprintf("%d %s", len(r), r[0].PaymentID) })
			},
			method: "GET", path: "/payments", query: "subscription_id=sub_1", wantValue: "2 pay_1",
		},
		{
			name: "list customer payment methods", respond: `{"items":[{"payment_method_id":"pm_1","payment_method":"card"}]}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				r, err := c.ListCustomerPaymentMethods(ctx, "cus_1")
				return value(r, err, func() string { return r[0].PaymentMethodID })
			},
			method: "GET", path: "/customers/cus_1/payment-methods", wantValue: "pm_1",
		},
	}
}

func TestEveryEndpointWire(t *testing.T) {
	cases := append(append(subscriptionEndpointCases(), writeEndpointCases()...), paymentEndpointCases()...)
	runEndpointCases(t, cases)
}

// runEndpointCases calls each endpoint against a server answering the case's
// body and checks the decoded value and the one request sent.
func runEndpointCases(t *testing.T, cases []endpointCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, respondJSON(http.StatusOK, tt.respond), nil)
			got, err := tt.call(testContext(t), h.client)
			if err != nil {
				t.Fatalf("call failed: %v", err)
			}
			if got != tt.wantValue {
				t.Errorf("decoded value = %q, want %q", got, tt.wantValue)
			}
			reqs := h.recorder.Requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			assertRequest(t, reqs[0], tt.method, tt.path, tt.query, tt.body)
		})
	}
}

// value returns get() when the call succeeded; result is only there so each
// table row can pass its call's two results straight through.
func value[T any](_ T, err error, get func() string) (string, error) {
	if err != nil {
		return "", err
	}
	return get(), nil
}

func assertRequest(t *testing.T, got recordedRequest, method, path, query, body string) {
	t.Helper()
	if got.Method != method || got.Path != path || got.RawQuery != query {
		t.Errorf("request = %s %s?%s, want %s %s?%s", got.Method, got.Path, got.RawQuery, method, path, query)
	}
	if got.Body != body {
		t.Errorf("body\n got: %s\nwant: %s", got.Body, body)
	}
	if auth := got.Header.Get("Authorization"); auth != "Bearer "+testAPIKey {
		t.Errorf("Authorization = %q", auth)
	}
	wantType := ""
	if body != "" {
		wantType = "application/json"
	}
	if ct := got.Header.Get("Content-Type"); ct != wantType {
		t.Errorf("Content-Type = %q, want %q", ct, wantType)
	}
	if got.Header.Get("Accept") != "application/json" || got.Header.Get("User-Agent") != DefaultUserAgent {
		t.Errorf("Accept/User-Agent = %q/%q", got.Header.Get("Accept"), got.Header.Get("User-Agent"))
	}
}
