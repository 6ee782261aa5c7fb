package dodo

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"
)

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(data)
}

// wireCase is a request value and its exact JSON body.
type wireCase struct {
	name string
	req  any
	want string
}

func subscriptionWireCases() []wireCase {
	nextBilling := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return []wireCase{
		{
			name: "create with existing customer and on_demand mandate_only false",
			req: CreateSubscriptionRequest{
				ProductID: "pdt_1", Quantity: 1,
				Billing:  BillingAddress{Country: "US", Zipcode: ptr.To("94105")},
				Customer: ExistingCustomer("cus_1"),
				OnDemand: &OnDemand{MandateOnly: false, ProductPrice: ptr.To[int64](2500)},
				Metadata: Metadata{"dodo_operator_uid": "u-1"},
			},
			want: `{"product_id":"pdt_1","quantity":1,"billing":{"country":"US","zipcode":"94105"},` +
				`"customer":{"customer_id":"cus_1"},"on_demand":{"mandate_only":false,"product_price":2500},` +
				`"metadata":{"dodo_operator_uid":"u-1"}}`,
		},
		{
			name: "create with new customer and payment link",
			req: CreateSubscriptionRequest{
				ProductID: "pdt_2", Quantity: 3,
				Billing:                   BillingAddress{Country: "IN"},
				Customer:                  NewCustomer("a@example.com", "A", ""),
				PaymentLink:               ptr.To(true),
				ReturnURL:                 ptr.To("https://example.com/r"),
				DiscountCodes:             []string{"TEN"},
				TrialPeriodDays:           ptr.To(0),
				Addons:                    []Addon{{AddonID: "addon_1", Quantity: 2}},
				AllowedPaymentMethodTypes: []string{"credit", "upi_collect"},
				ShowSavedPaymentMethods:   ptr.To(false),
			},
			want: `{"product_id":"pdt_2","quantity":3,"billing":{"country":"IN"},` +
				`"customer":{"email":"a@example.com","name":"A"},"payment_link":true,` +
				`"return_url":"https://example.com/r","discount_codes":["TEN"],"trial_period_days":0,` +
				`"addons":[{"addon_id":"addon_1","quantity":2}],"allowed_payment_method_types":["credit","upi_collect"],` +
				`"show_saved_payment_methods":false}`,
		},
		{
			name: "patch cancel at period end only sends set fields",
			req: UpdateSubscriptionRequest{
				CancelAtNextBillingDate: ptr.To(true),
				CancellationFeedback:    ptr.To(CancellationFeedback("too_expensive")),
			},
			want: `{"cancel_at_next_billing_date":true,"cancellation_feedback":"too_expensive"}`,
		},
		{
			name: "patch pause alone",
			req:  UpdateSubscriptionRequest{Status: ptr.To(SubscriptionStatusPaused)},
			want: `{"status":"paused"}`,
		},
		{
			name: "patch next billing date and disable on demand",
			req: UpdateSubscriptionRequest{
				NextBillingDate: &nextBilling,
				DisableOnDemand: &DisableOnDemand{NextBillingDate: nextBilling},
			},
			want: `{"next_billing_date":"2026-03-01T12:00:00Z","disable_on_demand":{"next_billing_date":"2026-03-01T12:00:00Z"}}`,
		},
	}
}

func changePlanWireCases() []wireCase {
	return []wireCase{
		{
			name: "change plan flat body with nil addons omitted",
			req: ChangePlanRequest{
				ProductID: "pdt_pro", Quantity: 2, ProrationBillingMode: ProrationProratedImmediately,
				EffectiveAt: EffectiveNextBillingDate, OnPaymentFailure: OnPaymentFailurePreventChange,
			},
			want: `{"product_id":"pdt_pro","quantity":2,"proration_billing_mode":"prorated_immediately",` +
				`"effective_at":"next_billing_date","on_payment_failure":"prevent_change"}`,
		},
		{
			name: "change plan empty addons and discount codes sent as []",
			req: ChangePlanRequest{
				ProductID: "pdt_pro", Quantity: 1, ProrationBillingMode: ProrationDoNotBill,
				Addons: []Addon{}, DiscountCodes: []string{},
			},
			want: `{"product_id":"pdt_pro","quantity":1,"proration_billing_mode":"do_not_bill","addons":[],"discount_codes":[]}`,
		},
		{
			name: "change plan with addons",
			req: ChangePlanRequest{
				ProductID: "pdt_pro", Quantity: 1, ProrationBillingMode: ProrationFullImmediately,
				Addons: []Addon{{AddonID: "addon_1", Quantity: 1}},
			},
			want: `{"product_id":"pdt_pro","quantity":1,"proration_billing_mode":"full_immediately","addons":[{"addon_id":"addon_1","quantity":1}]}`,
		},
	}
}

func paymentWireCases() []wireCase {
	return []wireCase{
		{
			name: "charge with metadata",
			req: ChargeRequest{
				ProductPrice: 2500, ProductDescription: ptr.To("usage march"),
				Metadata: Metadata{"retry_attempt": "1"},
			},
			want: `{"product_price":2500,"product_description":"usage march","metadata":{"retry_attempt":"1"}}`,
		},
		{
			name: "update payment method new at root",
			req:  UseNewPaymentMethod(ptr.To("https://example.com/return"), "credit", "debit"),
			want: `{"type":"new","return_url":"https://example.com/return","allowed_payment_method_types":["credit","debit"]}`,
		},
		{
			name: "update payment method new minimal",
			req:  UseNewPaymentMethod(nil),
			want: `{"type":"new"}`,
		},
		{
			name: "update payment method existing at root",
			req:  UseExistingPaymentMethod("pm_abc123"),
			want: `{"type":"existing","payment_method_id":"pm_abc123"}`,
		},
	}
}

func TestRequestWireGolden(t *testing.T) {
	cases := append(append(subscriptionWireCases(), changePlanWireCases()...), paymentWireCases()...)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustMarshal(t, tt.req); got != tt.want {
				t.Errorf("wire body\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestInvalidUnionsRefuseToMarshal(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want error
	}{
		{"customer with both forms", CustomerRequest{CustomerID: "cus_1", Email: "a@b.c"}, ErrInvalidRequest},
		{"customer with neither form", CustomerRequest{}, ErrMissingRequiredField},
		{"existing payment method without id", UpdatePaymentMethodRequest{Type: PaymentMethodUpdateExisting}, ErrMissingRequiredField},
		{"payment method update without type", UpdatePaymentMethodRequest{}, ErrMissingRequiredField},
		{"unknown payment method update type", UpdatePaymentMethodRequest{Type: "other"}, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := json.Marshal(tt.v)
			if !errors.Is(err, tt.want) {
				t.Fatalf("marshal error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRequestsRoundTripForSimulator(t *testing.T) {
	t.Run("customer union decodes both forms", func(t *testing.T) {
		var existing, created CustomerRequest
		if err := json.Unmarshal([]byte(`{"customer_id":"cus_9"}`), &existing); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(`{"email":"n@example.com","name":"N","phone_number":"+1"}`), &created); err != nil {
			t.Fatal(err)
		}
		if !existing.IsExisting() || existing.CustomerID != "cus_9" {
			t.Errorf("existing = %+v", existing)
		}
		if created.IsExisting() || created != NewCustomer("n@example.com", "N", "+1") {
			t.Errorf("new = %+v", created)
		}
	})
	t.Run("change plan distinguishes absent from empty addons", func(t *testing.T) {
		var absent, empty ChangePlanRequest
		base := `{"product_id":"p","quantity":1,"proration_billing_mode":"do_not_bill"`
		if err := json.Unmarshal([]byte(base+`}`), &absent); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(base+`,"addons":[]}`), &empty); err != nil {
			t.Fatal(err)
		}
		if absent.Addons != nil || empty.Addons == nil || len(empty.Addons) != 0 {
			t.Errorf("absent=%#v empty=%#v", absent.Addons, empty.Addons)
		}
	})
	t.Run("update payment method decodes root union", func(t *testing.T) {
		var req UpdatePaymentMethodRequest
		if err := json.Unmarshal([]byte(`{"type":"existing","payment_method_id":"pm_1"}`), &req); err != nil {
			t.Fatal(err)
		}
		if req.Type != PaymentMethodUpdateExisting || req.PaymentMethodID != "pm_1" || req.Validate() != nil {
			t.Errorf("decoded %+v", req)
		}
	})
}

func TestRequiredFieldsDetectedOnDecode(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		into    any
		wantErr error
	}{
		{"on_demand without mandate_only", `{"product_price":100}`, &OnDemand{}, ErrMissingRequiredField},
		{"on_demand with mandate_only false", `{"mandate_only":false}`, &OnDemand{}, nil},
		{"charge without product_price", `{"metadata":{}}`, &ChargeRequest{}, ErrMissingRequiredField},
		{"charge with null product_price", `{"product_price":null}`, &ChargeRequest{}, ErrMissingRequiredField},
		{"charge with product_price", `{"product_price":2500}`, &ChargeRequest{}, nil},
		{
			"create with on_demand missing mandate_only",
			`{"product_id":"p","quantity":1,"billing":{"country":"US"},"customer":{"customer_id":"c"},"on_demand":{}}`,
			&CreateSubscriptionRequest{}, ErrMissingRequiredField,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := json.Unmarshal([]byte(tt.body), tt.into)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRequestValidate(t *testing.T) {
	valid := CreateSubscriptionRequest{ProductID: "p", Quantity: 1, Billing: BillingAddress{Country: "US"}, Customer: ExistingCustomer("c")}
	tests := []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"valid create", valid.Validate(), false},
		{"create without product", func() error { r := valid; r.ProductID = ""; return r.Validate() }(), true},
		{"create with zero quantity", func() error { r := valid; r.Quantity = 0; return r.Validate() }(), true},
		{"create without country", func() error { r := valid; r.Billing.Country = ""; return r.Validate() }(), true},
		{"create without customer", func() error { r := valid; r.Customer = CustomerRequest{}; return r.Validate() }(), true},
		{"valid change plan", ChangePlanRequest{ProductID: "p", Quantity: 1, ProrationBillingMode: ProrationDoNotBill}.Validate(), false},
		{"change plan without mode", ChangePlanRequest{ProductID: "p", Quantity: 1}.Validate(), true},
		{"change plan without product", ChangePlanRequest{Quantity: 1, ProrationBillingMode: ProrationDoNotBill}.Validate(), true},
		{"change plan zero quantity", ChangePlanRequest{ProductID: "p", ProrationBillingMode: ProrationDoNotBill}.Validate(), true},
		{"charge zero amount", ChargeRequest{}.Validate(), true},
		{"charge positive amount", ChargeRequest{ProductPrice: 1}.Validate(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, wantErr %v", tt.err, tt.wantErr)
			}
			if tt.err != nil && !IsValidation(tt.err) {
				t.Errorf("IsValidation(%v) = false", tt.err)
			}
		})
	}
}

func TestValidateMetadata(t *testing.T) {
	tooMany := Metadata{}
	for i := range MaxMetadataKeys + 1 {
		tooMany[fmt.Sprintf("k%d", i)] = "v"
	}
	tests := []struct {
		name    string
		m       Metadata
		wantErr bool
	}{
		{"nil", nil, false},
		{"operator keys", Metadata{"dodo-operator_uid": "u", "retry_attempt": "2"}, false},
		{"key with a dot", Metadata{"dodo.io/name": "x"}, true},
		{"empty key", Metadata{"": "x"}, true},
		{"key of 41 chars", Metadata{strings.Repeat("k", 41): "x"}, true},
		{"value of 500 multi-byte chars", Metadata{"k": strings.Repeat("é", 500)}, false},
		{"value of 501 chars", Metadata{"k": strings.Repeat("v", 501)}, true},
		{"51 keys", tooMany, true},
	}
	for _, tt := range tests {
		err := ValidateMetadata(tt.m)
		if (err != nil) != tt.wantErr || (err != nil && !IsValidation(err)) {
			t.Errorf("%s: ValidateMetadata = %v, wantErr %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestListParamsQuery(t *testing.T) {
	from := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	subs := ListSubscriptionsParams{Status: SubscriptionStatusOnHold, CustomerID: "cus_1", CreatedAtGTE: &from, PageNumber: ptr.To(0), PageSize: 50}
	if got, want := subs.Values().Encode(), "created_at_gte=2026-01-02T03%3A04%3A05Z&customer_id=cus_1&page_number=0&page_size=50&status=on_hold"; got != want {
		t.Errorf("subscriptions query = %s, want %s", got, want)
	}
	pays := ListPaymentsParams{SubscriptionID: "sub_1", Status: PaymentStatusFailed}
	if got, want := pays.Values().Encode(), "status=failed&subscription_id=sub_1"; got != want {
		t.Errorf("payments query = %s, want %s", got, want)
	}
	if got := (ListPaymentsParams{}).Values().Encode(); got != "" {
		t.Errorf("empty params query = %q", got)
	}
}
