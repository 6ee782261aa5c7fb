package dodo

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/utils/ptr"
)

// CreateSubscriptionResponse is the response of POST /subscriptions (2.1).
// ClientSecret is for a browser checkout SDK only: callers must never log or
// store it (not in a CR status, not in an event). String/GoString redact it
// and Redacted returns a copy safe to log.
type CreateSubscriptionResponse struct {
	SubscriptionID        string                 `json:"subscription_id"`
	PaymentID             string                 `json:"payment_id"`
	Customer              CustomerLimitedDetails `json:"customer"`
	Metadata              Metadata               `json:"metadata"`
	RecurringPreTaxAmount int64                  `json:"recurring_pre_tax_amount"`
	Addons                []Addon                `json:"addons"`
	PaymentLink           *string                `json:"payment_link"`
	ExpiresOn             *time.Time             `json:"expires_on"`
	ClientSecret          *string                `json:"client_secret"`
	DiscountID            *string                `json:"discount_id"`
	DiscountIDs           []string               `json:"discount_ids"`
	OneTimeProductCart    []ProductCartItem      `json:"one_time_product_cart"`
	TrialAmount           *int64                 `json:"trial_amount"`
}

// String prints the identifying fields, never the client secret.
func (r CreateSubscriptionResponse) String() string {
	return fmt.Sprintf("CreateSubscriptionResponse{SubscriptionID:%s PaymentID:%s CustomerID:%s PaymentLink:%s ExpiresOn:%s ClientSecret:%s}",
		r.SubscriptionID, r.PaymentID, r.Customer.CustomerID, ptr.Deref(r.PaymentLink, ""),
		formatTimePtr(r.ExpiresOn), redactedMark(r.ClientSecret))
}

// GoString redacts like String so %#v is safe too.
func (r CreateSubscriptionResponse) GoString() string { return r.String() }

// ProductCartItem is a product and quantity (one-time cart, payment cart).
type ProductCartItem struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// ScheduledAddon is an add-on of a scheduled plan change.
type ScheduledAddon struct {
	AddonID  string `json:"addon_id"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

// ScheduledChange is a plan change waiting for effective_at.
type ScheduledChange struct {
	ID                 string           `json:"id"`
	ProductID          string           `json:"product_id"`
	Quantity           int              `json:"quantity"`
	EffectiveAt        time.Time        `json:"effective_at"`
	CreatedAt          time.Time        `json:"created_at"`
	Addons             []ScheduledAddon `json:"addons"`
	ProductName        *string          `json:"product_name,omitempty"`
	ProductDescription *string          `json:"product_description,omitempty"`
}

// Subscription is the full subscription object (3.1): GET/PATCH responses and
// the data of subscription.* webhooks. Rarely used complex fields (meters,
// credit carts, discounts, custom fields) are kept as raw JSON.
type Subscription struct {
	SubscriptionID             string                 `json:"subscription_id"`
	Status                     SubscriptionStatus     `json:"status"`
	ProductID                  string                 `json:"product_id"`
	Quantity                   int                    `json:"quantity"`
	Customer                   CustomerLimitedDetails `json:"customer"`
	Billing                    BillingAddress         `json:"billing"`
	BrandID                    string                 `json:"brand_id"`
	Currency                   string                 `json:"currency"`
	RecurringPreTaxAmount      int64                  `json:"recurring_pre_tax_amount"`
	TaxInclusive               bool                   `json:"tax_inclusive"`
	PaymentFrequencyCount      int                    `json:"payment_frequency_count"`
	PaymentFrequencyInterval   TimeInterval           `json:"payment_frequency_interval"`
	SubscriptionPeriodCount    int                    `json:"subscription_period_count"`
	SubscriptionPeriodInterval TimeInterval           `json:"subscription_period_interval"`
	TrialPeriodDays            int                    `json:"trial_period_days"`
	CreatedAt                  time.Time              `json:"created_at"`
	PreviousBillingDate        time.Time              `json:"previous_billing_date"`
	NextBillingDate            time.Time              `json:"next_billing_date"`
	CancelAtNextBillingDate    bool                   `json:"cancel_at_next_billing_date"`
	OnDemand                   bool                   `json:"on_demand"`
	Metadata                   Metadata               `json:"metadata"`
	Addons                     []Addon                `json:"addons"`
	Meters                     []json.RawMessage      `json:"meters"`
	CreditEntitlementCart      []json.RawMessage      `json:"credit_entitlement_cart"`
	MeterCreditEntitlementCart []json.RawMessage      `json:"meter_credit_entitlement_cart"`
	CancelledAt                *time.Time             `json:"cancelled_at"`
	CancellationFeedback       *CancellationFeedback  `json:"cancellation_feedback"`
	CancellationComment        *string                `json:"cancellation_comment"`
	ExpiresAt                  *time.Time             `json:"expires_at"`
	PausedAt                   *time.Time             `json:"paused_at"`
	PaymentMethodID            *string                `json:"payment_method_id"`
	ScheduledChange            *ScheduledChange       `json:"scheduled_change"`
	TaxID                      *string                `json:"tax_id"`
	CustomerBusinessName       *string                `json:"customer_business_name"`
	Discounts                  []json.RawMessage      `json:"discounts"`
	DiscountID                 *string                `json:"discount_id"`
	DiscountCyclesRemaining    *int                   `json:"discount_cycles_remaining"`
	CustomFieldResponses       []json.RawMessage      `json:"custom_field_responses"`
	TrialAmount                *int64                 `json:"trial_amount"`
}

// ListDiscount is the lightweight discount entry of a subscription list item.
type ListDiscount struct {
	DiscountID              string `json:"discount_id"`
	DiscountCyclesRemaining *int   `json:"discount_cycles_remaining,omitempty"`
}

// SubscriptionListItem is an item of GET /subscriptions (3.2).
type SubscriptionListItem struct {
	SubscriptionID             string                 `json:"subscription_id"`
	Status                     SubscriptionStatus     `json:"status"`
	ProductID                  string                 `json:"product_id"`
	ProductName                *string                `json:"product_name"`
	Quantity                   int                    `json:"quantity"`
	Customer                   CustomerLimitedDetails `json:"customer"`
	Billing                    BillingAddress         `json:"billing"`
	Currency                   string                 `json:"currency"`
	RecurringPreTaxAmount      int64                  `json:"recurring_pre_tax_amount"`
	TaxInclusive               bool                   `json:"tax_inclusive"`
	PaymentFrequencyCount      int                    `json:"payment_frequency_count"`
	PaymentFrequencyInterval   TimeInterval           `json:"payment_frequency_interval"`
	SubscriptionPeriodCount    int                    `json:"subscription_period_count"`
	SubscriptionPeriodInterval TimeInterval           `json:"subscription_period_interval"`
	TrialPeriodDays            int                    `json:"trial_period_days"`
	CreatedAt                  time.Time              `json:"created_at"`
	PreviousBillingDate        time.Time              `json:"previous_billing_date"`
	NextBillingDate            time.Time              `json:"next_billing_date"`
	CancelAtNextBillingDate    bool                   `json:"cancel_at_next_billing_date"`
	OnDemand                   bool                   `json:"on_demand"`
	Metadata                   Metadata               `json:"metadata"`
	CancelledAt                *time.Time             `json:"cancelled_at"`
	PausedAt                   *time.Time             `json:"paused_at"`
	PaymentMethodID            *string                `json:"payment_method_id"`
	ScheduledChange            *ScheduledChange       `json:"scheduled_change,omitempty"`
	TaxID                      *string                `json:"tax_id"`
	CustomerBusinessName       *string                `json:"customer_business_name"`
	Discounts                  []ListDiscount         `json:"discounts"`
	DiscountID                 *string                `json:"discount_id"`
	DiscountCyclesRemaining    *int                   `json:"discount_cycles_remaining"`
	TrialAmount                *int64                 `json:"trial_amount"`
}

// SubscriptionList is the body of GET /subscriptions.
type SubscriptionList struct {
	Items []SubscriptionListItem `json:"items"`
}
