// Package dodo is a typed client for the Dodo Payments REST API (subscriptions,
// payments and the customer payment-method list) and the wire types shared with
// the local simulator.
//
// Wire types follow docs/dodo-api.md: exact JSON names, nullable
// fields as pointers, optional request fields omitted when unset, money as int64
// minor units and every enum as an open string type (unknown values decode).
package dodo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ErrMissingRequiredField is wrapped by decoders when a field the API requires is
// absent (Dodo answers such requests with 422). The simulator uses it to map
// decode failures to the documented status.
var ErrMissingRequiredField = errors.New("missing required field")

// ErrInvalidRequest is wrapped when a request value cannot be encoded because it
// is incomplete or ambiguous (for example a customer union with both forms set).
var ErrInvalidRequest = errors.New("invalid request")

// SubscriptionStatus is a subscription's state. It is an open set: values not
// listed here (future API versions) decode without error.
type SubscriptionStatus string

// Known subscription statuses (docs/dodo-api.md §4.1).
const (
	SubscriptionStatusPending   SubscriptionStatus = "pending"
	SubscriptionStatusActive    SubscriptionStatus = "active"
	SubscriptionStatusOnHold    SubscriptionStatus = "on_hold"
	SubscriptionStatusPaused    SubscriptionStatus = "paused"
	SubscriptionStatusCancelled SubscriptionStatus = "cancelled"
	SubscriptionStatusFailed    SubscriptionStatus = "failed"
	SubscriptionStatusExpired   SubscriptionStatus = "expired"
	// SubscriptionStatusPastDue exists only in the docs (grace-period feature).
	SubscriptionStatusPastDue SubscriptionStatus = "past_due"
)

// IsTerminal reports whether no transition leaves this status (cancelled,
// failed, expired).
func (s SubscriptionStatus) IsTerminal() bool {
	switch s {
	case SubscriptionStatusCancelled, SubscriptionStatusFailed, SubscriptionStatusExpired:
		return true
	}
	return false
}

// PaymentStatus is a payment's IntentStatus; an open set.
type PaymentStatus string

// Known payment statuses (docs/dodo-api.md §4.2).
const (
	PaymentStatusSucceeded                      PaymentStatus = "succeeded"
	PaymentStatusFailed                         PaymentStatus = "failed"
	PaymentStatusCancelled                      PaymentStatus = "cancelled"
	PaymentStatusProcessing                     PaymentStatus = "processing"
	PaymentStatusRequiresCustomerAction         PaymentStatus = "requires_customer_action"
	PaymentStatusRequiresMerchantAction         PaymentStatus = "requires_merchant_action"
	PaymentStatusRequiresPaymentMethod          PaymentStatus = "requires_payment_method"
	PaymentStatusRequiresConfirmation           PaymentStatus = "requires_confirmation"
	PaymentStatusRequiresCapture                PaymentStatus = "requires_capture"
	PaymentStatusPartiallyCaptured              PaymentStatus = "partially_captured"
	PaymentStatusPartiallyCapturedAndCapturable PaymentStatus = "partially_captured_and_capturable"
)

// IsTerminal reports whether the payment has settled (succeeded, failed or
// cancelled). Every other value, including unknown ones, is treated as still
// in flight so a caller never charges again on an unrecognised status.
func (s PaymentStatus) IsTerminal() bool {
	switch s {
	case PaymentStatusSucceeded, PaymentStatusFailed, PaymentStatusCancelled:
		return true
	}
	return false
}

// ProrationBillingMode tells change-plan how to bill the switch.
type ProrationBillingMode string

// Proration modes (docs/dodo-api.md §3.3).
const (
	ProrationProratedImmediately   ProrationBillingMode = "prorated_immediately"
	ProrationFullImmediately       ProrationBillingMode = "full_immediately"
	ProrationDifferenceImmediately ProrationBillingMode = "difference_immediately"
	ProrationDoNotBill             ProrationBillingMode = "do_not_bill"
)

// EffectiveAt tells change-plan when the new plan applies.
type EffectiveAt string

// EffectiveAt values (docs/dodo-api.md §3.3).
const (
	EffectiveImmediately     EffectiveAt = "immediately"
	EffectiveNextBillingDate EffectiveAt = "next_billing_date"
)

// OnPaymentFailure tells change-plan what to do when its charge fails.
type OnPaymentFailure string

// OnPaymentFailure values (docs/dodo-api.md §3.3).
const (
	OnPaymentFailurePreventChange OnPaymentFailure = "prevent_change"
	OnPaymentFailureApplyChange   OnPaymentFailure = "apply_change"
)

// TimeInterval is a billing interval unit; note the capitalised wire values.
type TimeInterval string

// TimeInterval values (docs/dodo-api.md §1).
const (
	IntervalDay   TimeInterval = "Day"
	IntervalWeek  TimeInterval = "Week"
	IntervalMonth TimeInterval = "Month"
	IntervalYear  TimeInterval = "Year"
)

// CancelReason is the PATCH cancel_reason enum.
type CancelReason string

// CancelReason values (docs/dodo-api.md §3.2).
const (
	CancelReasonByCustomer            CancelReason = "cancelled_by_customer"
	CancelReasonByMerchant            CancelReason = "cancelled_by_merchant"
	CancelReasonByMerchantSendDunning CancelReason = "cancelled_by_merchant_send_dunning"
	CancelReasonDodoTeam              CancelReason = "dodo_team"
)

// CancellationFeedback is the PATCH/Subscription cancellation_feedback enum (open).
type CancellationFeedback string

// Metadata is Dodo's key/value metadata. Dodo may return number or boolean
// values; they decode to their JSON text so callers always see strings.
type Metadata map[string]string

// UnmarshalJSON accepts string, number, boolean and null values; nested
// objects/arrays are kept as compact JSON text rather than failing, so an
// unexpected value never makes a webhook undecodable.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("decode metadata: %w", err)
	}
	out := make(Metadata, len(raw))
	for key, value := range raw {
		text, err := metadataValueText(value)
		if err != nil {
			return fmt.Errorf("decode metadata key %q: %w", key, err)
		}
		out[key] = text
	}
	*m = out
	return nil
}

func metadataValueText(value json.RawMessage) (string, error) {
	trimmed := bytes.TrimSpace(value)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return "", nil
	}
	switch trimmed[0] {
	case '"':
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, trimmed); err != nil {
			return "", err
		}
		return buf.String(), nil
	default:
		// Numbers and booleans: keep the literal so 10.50 stays "10.50".
		return string(trimmed), nil
	}
}

// Int returns the metadata value under key parsed as an integer.
func (m Metadata) Int(key string) (int64, bool) {
	v, ok := m[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// BillingAddress is a billing address; country (ISO 3166-1 alpha-2) is required.
type BillingAddress struct {
	Country string  `json:"country"`
	City    *string `json:"city,omitempty"`
	State   *string `json:"state,omitempty"`
	Street  *string `json:"street,omitempty"`
	Zipcode *string `json:"zipcode,omitempty"`
}

// CustomerLimitedDetails is the customer summary embedded in subscriptions and payments.
type CustomerLimitedDetails struct {
	CustomerID  string   `json:"customer_id"`
	Email       string   `json:"email"`
	Name        string   `json:"name"`
	Metadata    Metadata `json:"metadata,omitempty"`
	PhoneNumber *string  `json:"phone_number,omitempty"`
}

// Addon attaches an add-on with a quantity.
type Addon struct {
	AddonID  string `json:"addon_id"`
	Quantity int    `json:"quantity"`
}

// OnDemand makes a new subscription on-demand. MandateOnly is required by the
// API, so it is always sent (false included).
type OnDemand struct {
	MandateOnly                   bool    `json:"mandate_only"`
	ProductPrice                  *int64  `json:"product_price,omitempty"`
	ProductCurrency               *string `json:"product_currency,omitempty"`
	ProductDescription            *string `json:"product_description,omitempty"`
	AdaptiveCurrencyFeesInclusive *bool   `json:"adaptive_currency_fees_inclusive,omitempty"`
}

// UnmarshalJSON rejects an on_demand object without mandate_only (Dodo: 422).
func (o *OnDemand) UnmarshalJSON(data []byte) error {
	type plain OnDemand
	var probe struct {
		MandateOnly *bool `json:"mandate_only"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("decode on_demand: %w", err)
	}
	if probe.MandateOnly == nil {
		return fmt.Errorf("on_demand.mandate_only: %w", ErrMissingRequiredField)
	}
	return json.Unmarshal(data, (*plain)(o))
}

// OptionalString is s as an optional request field: nil, so left out of the request, when
// empty (k8s.io/utils/ptr.To would send "").
func OptionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
