package dodo

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// CustomerRequest is the create-subscription customer union: an existing
// customer ({customer_id}) or a new one ({email, name?, phone_number?}).
// Only the chosen form is marshalled.
type CustomerRequest struct {
	// CustomerID selects the existing-customer form.
	CustomerID string
	// Email (required), Name and PhoneNumber select the new-customer form.
	Email       string
	Name        string
	PhoneNumber string
}

// ExistingCustomer returns the existing-customer form of CustomerRequest.
func ExistingCustomer(customerID string) CustomerRequest {
	return CustomerRequest{CustomerID: customerID}
}

// NewCustomer returns the new-customer form; name and phone may be empty.
func NewCustomer(email, name, phoneNumber string) CustomerRequest {
	return CustomerRequest{Email: email, Name: name, PhoneNumber: phoneNumber}
}

// IsExisting reports whether the existing-customer form is selected.
func (c CustomerRequest) IsExisting() bool { return c.CustomerID != "" }

type existingCustomerWire struct {
	CustomerID string `json:"customer_id"`
}

type newCustomerWire struct {
	Email       string `json:"email"`
	Name        string `json:"name,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
}

// MarshalJSON emits exactly one form; setting both or neither is an error.
func (c CustomerRequest) MarshalJSON() ([]byte, error) {
	hasNew := c.Email != "" || c.Name != "" || c.PhoneNumber != ""
	switch {
	case c.IsExisting() && hasNew:
		return nil, fmt.Errorf("customer: both existing and new forms set: %w", ErrInvalidRequest)
	case c.IsExisting():
		return json.Marshal(existingCustomerWire{CustomerID: c.CustomerID})
	case c.Email != "":
		return json.Marshal(newCustomerWire{Email: c.Email, Name: c.Name, PhoneNumber: c.PhoneNumber})
	default:
		return nil, fmt.Errorf("customer: customer_id or email: %w", ErrMissingRequiredField)
	}
}

// UnmarshalJSON reads either form (used by the simulator).
func (c *CustomerRequest) UnmarshalJSON(data []byte) error {
	var wire struct {
		CustomerID  string `json:"customer_id"`
		Email       string `json:"email"`
		Name        string `json:"name"`
		PhoneNumber string `json:"phone_number"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return fmt.Errorf("decode customer: %w", err)
	}
	*c = CustomerRequest(wire)
	return nil
}

// CreateSubscriptionRequest is the body of POST /subscriptions (2.1).
type CreateSubscriptionRequest struct {
	ProductID                 string          `json:"product_id"`
	Quantity                  int             `json:"quantity"`
	Billing                   BillingAddress  `json:"billing"`
	Customer                  CustomerRequest `json:"customer"`
	OnDemand                  *OnDemand       `json:"on_demand,omitempty"`
	PaymentLink               *bool           `json:"payment_link,omitempty"`
	ReturnURL                 *string         `json:"return_url,omitempty"`
	PaymentMethodID           *string         `json:"payment_method_id,omitempty"`
	Metadata                  Metadata        `json:"metadata,omitempty"`
	DiscountCodes             []string        `json:"discount_codes,omitempty"`
	TrialPeriodDays           *int            `json:"trial_period_days,omitempty"`
	Addons                    []Addon         `json:"addons,omitempty"`
	TaxID                     *string         `json:"tax_id,omitempty"`
	CustomerBusinessName      *string         `json:"customer_business_name,omitempty"`
	BillingCurrency           *string         `json:"billing_currency,omitempty"`
	AllowedPaymentMethodTypes []string        `json:"allowed_payment_method_types,omitempty"`
	ShowSavedPaymentMethods   *bool           `json:"show_saved_payment_methods,omitempty"`
}

// Validate checks the fields the API requires, before anything is sent.
func (r CreateSubscriptionRequest) Validate() error {
	if err := validateProductQuantity(r.ProductID, r.Quantity); err != nil {
		return err
	}
	switch {
	case r.Billing.Country == "":
		return fmt.Errorf("billing.country: %w", ErrMissingRequiredField)
	case r.Customer.CustomerID == "" && r.Customer.Email == "":
		return fmt.Errorf("customer: %w", ErrMissingRequiredField)
	}
	return nil
}

// DisableOnDemand turns an on-demand subscription into a scheduled one.
type DisableOnDemand struct {
	NextBillingDate time.Time `json:"next_billing_date"`
}

// UpdateSubscriptionRequest is the body of PATCH /subscriptions/{id} (2.4).
// Every field is optional; nil means "do not change". Status paused/active must
// be sent alone (the API answers 422 otherwise). Clearing
// customer_business_name with null is not supported by this type.
type UpdateSubscriptionRequest struct {
	Status                     *SubscriptionStatus   `json:"status,omitempty"`
	CancelAtNextBillingDate    *bool                 `json:"cancel_at_next_billing_date,omitempty"`
	CancelReason               *CancelReason         `json:"cancel_reason,omitempty"`
	CancellationFeedback       *CancellationFeedback `json:"cancellation_feedback,omitempty"`
	CancellationComment        *string               `json:"cancellation_comment,omitempty"`
	Metadata                   Metadata              `json:"metadata,omitempty"`
	Billing                    *BillingAddress       `json:"billing,omitempty"`
	TaxID                      *string               `json:"tax_id,omitempty"`
	CustomerBusinessName       *string               `json:"customer_business_name,omitempty"`
	CustomerName               *string               `json:"customer_name,omitempty"`
	NextBillingDate            *time.Time            `json:"next_billing_date,omitempty"`
	DisableOnDemand            *DisableOnDemand      `json:"disable_on_demand,omitempty"`
	SubscriptionPeriodCount    *int                  `json:"subscription_period_count,omitempty"`
	SubscriptionPeriodInterval *TimeInterval         `json:"subscription_period_interval,omitempty"`
}

// ChangePlanRequest is the flat body of POST /subscriptions/{id}/change-plan
// (2.5). Addons and DiscountCodes distinguish nil (field omitted: keep the
// API default) from an empty slice (sent as [] : remove all).
type ChangePlanRequest struct {
	ProductID                     string               `json:"product_id"`
	Quantity                      int                  `json:"quantity"`
	ProrationBillingMode          ProrationBillingMode `json:"proration_billing_mode"`
	Addons                        []Addon              `json:"addons"`
	EffectiveAt                   EffectiveAt          `json:"effective_at,omitempty"`
	OnPaymentFailure              OnPaymentFailure     `json:"on_payment_failure,omitempty"`
	DiscountCodes                 []string             `json:"discount_codes"`
	Metadata                      Metadata             `json:"metadata,omitempty"`
	AdaptiveCurrencyFeesInclusive *bool                `json:"adaptive_currency_fees_inclusive,omitempty"`
}

// MarshalJSON omits nil Addons/DiscountCodes but sends empty ones as [].
func (r ChangePlanRequest) MarshalJSON() ([]byte, error) {
	type plain ChangePlanRequest
	wire := struct {
		plain
		// Shallower fields shadow the embedded ones of the same JSON name.
		Addons        *[]Addon  `json:"addons,omitempty"`
		DiscountCodes *[]string `json:"discount_codes,omitempty"`
	}{plain: plain(r)}
	if r.Addons != nil {
		wire.Addons = &r.Addons
	}
	if r.DiscountCodes != nil {
		wire.DiscountCodes = &r.DiscountCodes
	}
	return json.Marshal(wire)
}

// Validate checks the fields the API requires.
func (r ChangePlanRequest) Validate() error {
	if err := validateProductQuantity(r.ProductID, r.Quantity); err != nil {
		return err
	}
	if r.ProrationBillingMode == "" {
		return fmt.Errorf("proration_billing_mode: %w", ErrMissingRequiredField)
	}
	return nil
}

// validateProductQuantity checks the product and quantity that a create and a
// plan change both require.
func validateProductQuantity(productID string, quantity int) error {
	switch {
	case productID == "":
		return fmt.Errorf("product_id: %w", ErrMissingRequiredField)
	case quantity < 1:
		return fmt.Errorf("quantity must be at least 1: %w", ErrInvalidRequest)
	}
	return nil
}

// ChangePlanResponse is the optional change-plan body. Dodo's SDK expects no
// body, the guide shows one; every field is therefore optional.
type ChangePlanResponse struct {
	Status               *string `json:"status,omitempty"`
	SubscriptionID       *string `json:"subscription_id,omitempty"`
	InvoiceID            *string `json:"invoice_id,omitempty"`
	PaymentID            *string `json:"payment_id,omitempty"`
	ProrationBillingMode *string `json:"proration_billing_mode,omitempty"`
}

// CustomerBalanceConfig controls customer credits on a charge.
type CustomerBalanceConfig struct {
	AllowCustomerCreditsPurchase *bool `json:"allow_customer_credits_purchase,omitempty"`
	AllowCustomerCreditsUsage    *bool `json:"allow_customer_credits_usage,omitempty"`
}

// ChargeRequest is the body of POST /subscriptions/{id}/charge (2.8).
type ChargeRequest struct {
	ProductPrice                  int64                  `json:"product_price"`
	ProductCurrency               *string                `json:"product_currency,omitempty"`
	ProductDescription            *string                `json:"product_description,omitempty"`
	AdaptiveCurrencyFeesInclusive *bool                  `json:"adaptive_currency_fees_inclusive,omitempty"`
	Metadata                      Metadata               `json:"metadata,omitempty"`
	CustomerBalanceConfig         *CustomerBalanceConfig `json:"customer_balance_config,omitempty"`
}

// UnmarshalJSON rejects a body without product_price (Dodo: 422).
func (r *ChargeRequest) UnmarshalJSON(data []byte) error {
	type plain ChargeRequest
	var probe struct {
		ProductPrice *int64 `json:"product_price"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("decode charge request: %w", err)
	}
	if probe.ProductPrice == nil {
		return fmt.Errorf("product_price: %w", ErrMissingRequiredField)
	}
	return json.Unmarshal(data, (*plain)(r))
}

// Validate checks the amount is positive.
func (r ChargeRequest) Validate() error {
	if r.ProductPrice <= 0 {
		return fmt.Errorf("product_price must be positive: %w", ErrInvalidRequest)
	}
	return nil
}

// ChargeResponse is the response of a charge: the new payment's ID.
type ChargeResponse struct {
	PaymentID string `json:"payment_id"`
}

// ListSubscriptionsParams filters GET /subscriptions. Zero values are not sent.
type ListSubscriptionsParams struct {
	Status       SubscriptionStatus
	CustomerID   string
	ProductID    string
	CreatedAtGTE *time.Time
	CreatedAtLTE *time.Time
	// PageNumber is zero-based; nil leaves it to the server (0).
	PageNumber *int
	// PageSize defaults to 10 server-side; max 100.
	PageSize int
}

// Values encodes the parameters as a query string.
func (p ListSubscriptionsParams) Values() url.Values {
	q := url.Values{}
	setString(q, "status", string(p.Status))
	setString(q, "customer_id", p.CustomerID)
	setString(q, "product_id", p.ProductID)
	setTime(q, "created_at_gte", p.CreatedAtGTE)
	setTime(q, "created_at_lte", p.CreatedAtLTE)
	setPage(q, p.PageNumber, p.PageSize)
	return q
}

func setString(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

func setTime(q url.Values, key string, value *time.Time) {
	if value != nil {
		q.Set(key, value.UTC().Format(time.RFC3339Nano))
	}
}

func setPage(q url.Values, pageNumber *int, pageSize int) {
	if pageNumber != nil {
		q.Set("page_number", strconv.Itoa(*pageNumber))
	}
	if pageSize > 0 {
		q.Set("page_size", strconv.Itoa(pageSize))
	}
}
