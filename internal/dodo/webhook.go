package dodo

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EventType is a webhook event type; an open set (unknown types decode).
type EventType string

// Payment and subscription event types (docs/dodo-api.md §5.2).
const (
	EventPaymentSucceeded  EventType = "payment.succeeded"
	EventPaymentFailed     EventType = "payment.failed"
	EventPaymentProcessing EventType = "payment.processing"
	EventPaymentCancelled  EventType = "payment.cancelled"

	EventSubscriptionActive              EventType = "subscription.active"
	EventSubscriptionRenewed             EventType = "subscription.renewed"
	EventSubscriptionOnHold              EventType = "subscription.on_hold"
	EventSubscriptionPaused              EventType = "subscription.paused"
	EventSubscriptionUnpaused            EventType = "subscription.unpaused"
	EventSubscriptionCancelled           EventType = "subscription.cancelled"
	EventSubscriptionFailed              EventType = "subscription.failed"
	EventSubscriptionExpired             EventType = "subscription.expired"
	EventSubscriptionPlanChanged         EventType = "subscription.plan_changed"
	EventSubscriptionUpdated             EventType = "subscription.updated"
	EventSubscriptionUpdatePaymentMethod EventType = "subscription.update_payment_method"
	// EventSubscriptionPastDue exists only in the docs (grace-period feature).
	EventSubscriptionPastDue EventType = "subscription.past_due"
)

// IsSubscriptionEvent reports whether the type is in the subscription.* family.
func (t EventType) IsSubscriptionEvent() bool { return strings.HasPrefix(string(t), "subscription.") }

// IsPaymentEvent reports whether the type is in the payment.* family.
func (t EventType) IsPaymentEvent() bool { return strings.HasPrefix(string(t), "payment.") }

// WebhookPayloadType is the value of data.payload_type.
type WebhookPayloadType string

// Documented payload types (docs/dodo-api.md §5.1).
const (
	PayloadTypePayment      WebhookPayloadType = "Payment"
	PayloadTypeSubscription WebhookPayloadType = "Subscription"
	PayloadTypeRefund       WebhookPayloadType = "Refund"
	PayloadTypeDispute      WebhookPayloadType = "Dispute"
	PayloadTypeLicenseKey   WebhookPayloadType = "LicenseKey"
)

// ErrWrongPayload is returned when a Decode helper is used on an event whose
// data is of another kind.
var ErrWrongPayload = errors.New("webhook data is not of the requested kind")

// WebhookEvent is the webhook envelope (4.3). Data is kept raw; decode it
// with DecodeSubscription or DecodePayment. Timestamp is when the event
// occurred, not when it was delivered.
type WebhookEvent struct {
	BusinessID string          `json:"business_id"`
	Type       EventType       `json:"type"`
	Timestamp  time.Time       `json:"timestamp"`
	Data       json.RawMessage `json:"data"`
}

// ParseWebhookEvent decodes an envelope from a (signature-verified) body.
func ParseWebhookEvent(body []byte) (WebhookEvent, error) {
	var event WebhookEvent
	if err := json.Unmarshal(body, &event); err != nil {
		return WebhookEvent{}, fmt.Errorf("decode webhook envelope: %w", err)
	}
	if event.Type == "" {
		return WebhookEvent{}, fmt.Errorf("webhook type: %w", ErrMissingRequiredField)
	}
	return event, nil
}

// PayloadType returns data.payload_type, or "" when absent (newer SDK models
// dropped it, so callers should fall back to the event type's family).
func (e WebhookEvent) PayloadType() WebhookPayloadType {
	var probe struct {
		PayloadType WebhookPayloadType `json:"payload_type"`
	}
	if len(e.Data) == 0 || json.Unmarshal(e.Data, &probe) != nil {
		return ""
	}
	return probe.PayloadType
}

// DecodeSubscription decodes data as a Subscription. It accepts events whose
// payload_type is Subscription, or absent with a subscription.* type.
func (e WebhookEvent) DecodeSubscription() (*Subscription, error) {
	if !e.carries(PayloadTypeSubscription, e.Type.IsSubscriptionEvent()) {
		return nil, fmt.Errorf("event %s: %w", e.Type, ErrWrongPayload)
	}
	var sub Subscription
	if err := json.Unmarshal(e.Data, &sub); err != nil {
		return nil, fmt.Errorf("decode subscription of event %s: %w", e.Type, err)
	}
	return &sub, nil
}

// DecodePayment decodes data as a Payment. It accepts events whose
// payload_type is Payment, or absent with a payment.* type.
func (e WebhookEvent) DecodePayment() (*Payment, error) {
	if !e.carries(PayloadTypePayment, e.Type.IsPaymentEvent()) {
		return nil, fmt.Errorf("event %s: %w", e.Type, ErrWrongPayload)
	}
	var payment Payment
	if err := json.Unmarshal(e.Data, &payment); err != nil {
		return nil, fmt.Errorf("decode payment of event %s: %w", e.Type, err)
	}
	return &payment, nil
}

func (e WebhookEvent) carries(want WebhookPayloadType, familyMatches bool) bool {
	got := e.PayloadType()
	if got != "" {
		return got == want
	}
	return familyMatches
}

// WebhookData marshals an object as webhook data with payload_type added
// (used by the simulator to build envelopes).
func WebhookData(payloadType WebhookPayloadType, object any) (json.RawMessage, error) {
	encoded, err := json.Marshal(object)
	if err != nil {
		return nil, fmt.Errorf("encode webhook data: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(encoded, &fields); err != nil {
		return nil, fmt.Errorf("webhook data must be a JSON object: %w", err)
	}
	fields["payload_type"], err = json.Marshal(payloadType)
	if err != nil {
		return nil, fmt.Errorf("encode payload_type: %w", err)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode webhook data: %w", err)
	}
	return out, nil
}
