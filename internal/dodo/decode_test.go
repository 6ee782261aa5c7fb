package dodo

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// Examples shaped like Dodo's documented payloads (docs/dodo-api.md), with unknown fields and unknown enum values
// added where the tests say so.
const (
	createResponseExample = `{"subscription_id":"sub_123","payment_id":"pay_1","payment_link":"https://pay.example/x",
 "customer":{"customer_id":"cus_123","email":"a@example.com","name":"A"},
 "metadata":{},"recurring_pre_tax_amount":0,"addons":[],"client_secret":"cs_live_SECRET","expires_on":null,
 "brand_new_field":{"x":1}}`

	paymentFailedExample = `{"payment_id":"pay_2IjeQm4hqU6RA4Z4kwDee","status":"failed","error_code":"PROCESSING_ERROR",
 "error_message":"An error occurred while processing your card. Try again in a little bit.",
 "retry_attempt":0,"subscription_id":null,"currency":"USD","total_amount":400,
 "payment_method":"card","card_last_four":"0119","card_network":"VISA",
 "customer":{"customer_id":"cus_8VbC6JDZzPEqfB","email":"test@acme.com","name":"Test user"}}`

	subscriptionExample = `{"subscription_id":"sub_1","status":"past_due","product_id":"pdt_1","quantity":2,
 "customer":{"customer_id":"cus_1","email":"a@example.com","name":"A","metadata":{"tier":3}},
 "billing":{"country":"US","city":null,"state":"CA","street":null,"zipcode":"94105"},
 "brand_id":"bus_1","currency":"USD","recurring_pre_tax_amount":1999,"tax_inclusive":false,
 "payment_frequency_count":1,"payment_frequency_interval":"Month","subscription_period_count":10,
 "subscription_period_interval":"Year","trial_period_days":0,"created_at":"2025-08-04T05:36:41.609359Z",
 "previous_billing_date":"2025-08-04T05:36:41Z","next_billing_date":"2025-09-04T05:36:41Z",
 "cancel_at_next_billing_date":false,"on_demand":true,
 "metadata":{"k8s.uid":"abc","retry_attempt":2,"flag":true,"ratio":10.50,"none":null,"nested":{"a":[1, 2]}},
 "addons":[],"meters":[],"credit_entitlement_cart":[],"meter_credit_entitlement_cart":[],
 "cancelled_at":null,"cancellation_feedback":null,"cancellation_comment":null,"expires_at":null,
 "paused_at":null,"payment_method_id":"pm_1","tax_id":null,"customer_business_name":null,
 "scheduled_change":{"id":"sc_1","product_id":"pdt_2","quantity":1,"effective_at":"2025-09-04T05:36:41Z",
   "created_at":"2025-08-10T00:00:00Z","addons":[{"addon_id":"addon_1","name":"Seats","quantity":3}],"product_name":"Pro"},
 "discounts":[{"discount_id":"dsc_1","code":"TEN","amount":1000,"type":"percentage","position":0}],
 "discount_id":null,"discount_cycles_remaining":null,"custom_field_responses":null,"trial_amount":null,
 "some_future_field":[1,2,3]}`
)

func TestDecodeCreateSubscriptionResponseRedactsSecret(t *testing.T) {
	var resp CreateSubscriptionResponse
	if err := json.Unmarshal([]byte(createResponseExample), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.SubscriptionID != "sub_123" || resp.PaymentID != "pay_1" || resp.Customer.CustomerID != "cus_123" {
		t.Errorf("decoded %s", resp)
	}
	if resp.PaymentLink == nil || *resp.PaymentLink != "https://pay.example/x" || resp.ExpiresOn != nil {
		t.Errorf("payment link / expires_on decoded wrong: %s", resp)
	}
	if resp.ClientSecret == nil || *resp.ClientSecret != "cs_live_SECRET" {
		t.Fatalf("client_secret not decoded")
	}
	assertNoSecretInFormats(t, "cs_live_SECRET", resp, &resp)
}

func TestDecodeUpdatePaymentMethodResponseRedactsSecret(t *testing.T) {
	var resp UpdatePaymentMethodResponse
	body := `{"client_secret":"pi_secret_XYZ","expires_on":"2026-01-01T00:00:00Z","payment_id":"pay_9","payment_link":null,"extra":1}`
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.PaymentID == nil || *resp.PaymentID != "pay_9" || resp.PaymentLink != nil || resp.ExpiresOn == nil {
		t.Errorf("decoded %s", resp)
	}
	assertNoSecretInFormats(t, "pi_secret_XYZ", resp, &resp)
}

func TestDecodePaymentExample(t *testing.T) {
	var payment Payment
	if err := json.Unmarshal([]byte(paymentFailedExample), &payment); err != nil {
		t.Fatal(err)
	}
	if payment.StatusOrEmpty() != PaymentStatusFailed || !payment.StatusOrEmpty().IsTerminal() {
		t.Errorf("status = %q", payment.StatusOrEmpty())
	}
	if payment.ErrorCode == nil || *payment.ErrorCode != "PROCESSING_ERROR" || payment.ErrorMessage == nil {
		t.Errorf("error fields = %v %v", payment.ErrorCode, payment.ErrorMessage)
	}
	if payment.SubscriptionID != nil || payment.TotalAmount != 400 || payment.Currency != "USD" || payment.RetryAttempt != 0 {
		t.Errorf("decoded %+v", payment)
	}
	if payment.CardLastFour == nil || *payment.CardLastFour != "0119" {
		t.Errorf("card_last_four = %v", payment.CardLastFour)
	}
}

func TestDecodePaymentNullStatusAndUnknownStatus(t *testing.T) {
	var nullStatus, future Payment
	if err := json.Unmarshal([]byte(`{"payment_id":"p","status":null}`), &nullStatus); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"payment_id":"p","status":"some_future_status"}`), &future); err != nil {
		t.Fatal(err)
	}
	if nullStatus.Status != nil || nullStatus.StatusOrEmpty() != "" || nullStatus.StatusOrEmpty().IsTerminal() {
		t.Errorf("null status decoded as %v", nullStatus.Status)
	}
	if future.StatusOrEmpty() != "some_future_status" || future.StatusOrEmpty().IsTerminal() {
		t.Errorf("unknown status must decode and count as non-terminal, got %q", future.StatusOrEmpty())
	}
}

func TestDecodeSubscriptionWithUnknownsAndLooseMetadata(t *testing.T) {
	var sub Subscription
	if err := json.Unmarshal([]byte(subscriptionExample), &sub); err != nil {
		t.Fatal(err)
	}
	if sub.Status != SubscriptionStatusPastDue || sub.Status.IsTerminal() {
		t.Errorf("status = %q", sub.Status)
	}
	wantMeta := Metadata{"k8s.uid": "abc", "retry_attempt": "2", "flag": "true", "ratio": "10.50", "none": "", "nested": `{"a":[1,2]}`}
	if mustMarshal(t, sub.Metadata) != mustMarshal(t, wantMeta) {
		t.Errorf("metadata = %v, want %v", sub.Metadata, wantMeta)
	}
	if n, ok := sub.Metadata.Int("retry_attempt"); !ok || n != 2 {
		t.Errorf("Metadata.Int = %d %v", n, ok)
	}
	if sub.Customer.Metadata["tier"] != "3" {
		t.Errorf("customer metadata = %v", sub.Customer.Metadata)
	}
	if sub.Billing.City != nil || sub.Billing.State == nil || *sub.Billing.State != "CA" {
		t.Errorf("billing = %+v", sub.Billing)
	}
	if sub.ScheduledChange == nil || sub.ScheduledChange.ProductID != "pdt_2" || len(sub.ScheduledChange.Addons) != 1 {
		t.Errorf("scheduled_change = %+v", sub.ScheduledChange)
	}
	wantCreated := time.Date(2025, 8, 4, 5, 36, 41, 609359000, time.UTC)
	if !sub.CreatedAt.Equal(wantCreated) || sub.PaymentFrequencyInterval != IntervalMonth || sub.RecurringPreTaxAmount != 1999 {
		t.Errorf("created_at=%v interval=%q amount=%d", sub.CreatedAt, sub.PaymentFrequencyInterval, sub.RecurringPreTaxAmount)
	}
	if len(sub.Discounts) != 1 || sub.PaymentMethodID == nil || !sub.OnDemand {
		t.Errorf("discounts=%d pm=%v on_demand=%v", len(sub.Discounts), sub.PaymentMethodID, sub.OnDemand)
	}
}

func TestMetadataRejectsNonObject(t *testing.T) {
	var m Metadata
	if err := json.Unmarshal([]byte(`["a"]`), &m); err == nil {
		t.Fatalf("array metadata decoded without error: %v", m)
	}
	if err := json.Unmarshal([]byte(`null`), &m); err != nil || m != nil {
		t.Fatalf("null metadata: %v %v", m, err)
	}
}

func TestDecodeListBodies(t *testing.T) {
	var subs SubscriptionList
	body := `{"items":[{"subscription_id":"sub_1","status":"some_future_status","product_name":null,
	  "discounts":[{"discount_id":"d1","discount_cycles_remaining":2}],"metadata":{"n":1}}]}`
	if err := json.Unmarshal([]byte(body), &subs); err != nil {
		t.Fatal(err)
	}
	if len(subs.Items) != 1 || subs.Items[0].Status != "some_future_status" || subs.Items[0].Metadata["n"] != "1" {
		t.Errorf("list item = %+v", subs.Items)
	}
	if d := subs.Items[0].Discounts; len(d) != 1 || d[0].DiscountCyclesRemaining == nil || *d[0].DiscountCyclesRemaining != 2 {
		t.Errorf("discounts = %+v", d)
	}
	var methods CustomerPaymentMethodList
	body = `{"items":[{"payment_method_id":"pm_1","payment_method":"card","card":{"last4_digits":"4242"},"recurring_enabled":true}]}`
	if err := json.Unmarshal([]byte(body), &methods); err != nil {
		t.Fatal(err)
	}
	if m := methods.Items; len(m) != 1 || m[0].RecurringEnabled == nil || !*m[0].RecurringEnabled || len(m[0].Card) == 0 {
		t.Errorf("payment methods = %+v", m)
	}
}

func TestWebhookEnvelopeDecoding(t *testing.T) {
	subscriptionEvent := `{"business_id":"bus_P3SXLcppjXgagmHS","type":"subscription.on_hold",
	  "timestamp":"2025-08-04T05:36:41.609359Z","unknown_envelope_field":true,
	  "data":{"payload_type":"Subscription","subscription_id":"sub_1","status":"on_hold","metadata":{}}}`
	event, err := ParseWebhookEvent([]byte(subscriptionEvent))
	if err != nil {
		t.Fatal(err)
	}
	if event.Type != EventSubscriptionOnHold || event.BusinessID != "bus_P3SXLcppjXgagmHS" || event.PayloadType() != PayloadTypeSubscription {
		t.Errorf("envelope = %+v payload_type=%q", event, event.PayloadType())
	}
	sub, err := event.DecodeSubscription()
	if err != nil || sub.SubscriptionID != "sub_1" || sub.Status != SubscriptionStatusOnHold {
		t.Fatalf("DecodeSubscription = %+v, %v", sub, err)
	}
	if _, err := event.DecodePayment(); !errors.Is(err, ErrWrongPayload) {
		t.Errorf("DecodePayment on a subscription event: %v", err)
	}
}

func TestWebhookPaymentWithoutPayloadTypeAndUnknownType(t *testing.T) {
	paymentEvent := `{"business_id":"b","type":"payment.failed","timestamp":"2025-08-04T05:36:41Z","data":` + paymentFailedExample + `}`
	event, err := ParseWebhookEvent([]byte(paymentEvent))
	if err != nil {
		t.Fatal(err)
	}
	payment, err := event.DecodePayment()
	if err != nil || payment.PaymentID != "pay_2IjeQm4hqU6RA4Z4kwDee" || event.PayloadType() != "" {
		t.Fatalf("DecodePayment = %+v, %v (payload_type %q)", payment, err, event.PayloadType())
	}
	future, err := ParseWebhookEvent([]byte(`{"business_id":"b","type":"credit.some_future_event","timestamp":"2025-08-04T05:36:41Z","data":{"x":1}}`))
	if err != nil || future.Type != "credit.some_future_event" || future.Type.IsPaymentEvent() || future.Type.IsSubscriptionEvent() {
		t.Fatalf("unknown event type: %+v %v", future, err)
	}
	if _, err := ParseWebhookEvent([]byte(`{"data":{}}`)); !errors.Is(err, ErrMissingRequiredField) {
		t.Errorf("envelope without type: %v", err)
	}
}

func TestWebhookDataAddsPayloadType(t *testing.T) {
	status := PaymentStatusSucceeded
	data, err := WebhookData(PayloadTypePayment, Payment{PaymentID: "pay_1", Status: &status})
	if err != nil {
		t.Fatal(err)
	}
	event := WebhookEvent{Type: EventPaymentSucceeded, Data: data}
	payment, err := event.DecodePayment()
	if err != nil || event.PayloadType() != PayloadTypePayment || payment.PaymentID != "pay_1" {
		t.Fatalf("round trip: %v %v %q", payment, err, event.PayloadType())
	}
	if _, err := WebhookData(PayloadTypePayment, []int{1}); err == nil {
		t.Errorf("non-object data accepted")
	}
}
