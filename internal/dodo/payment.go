package dodo

import (
	"encoding/json"
	"net/url"
	"time"
)

// Payment is the payment object (3.3): GET /payments/{id} and the data of
// payment.* webhooks. Disputes, refunds, discounts and custom fields are kept
// as raw JSON.
type Payment struct {
	PaymentID                string                 `json:"payment_id"`
	BusinessID               string                 `json:"business_id"`
	BrandID                  string                 `json:"brand_id"`
	Status                   *PaymentStatus         `json:"status"`
	SubscriptionID           *string                `json:"subscription_id"`
	TotalAmount              int64                  `json:"total_amount"`
	Currency                 string                 `json:"currency"`
	Tax                      *int64                 `json:"tax"`
	SettlementAmount         int64                  `json:"settlement_amount"`
	SettlementCurrency       string                 `json:"settlement_currency"`
	SettlementTax            *int64                 `json:"settlement_tax"`
	Customer                 CustomerLimitedDetails `json:"customer"`
	Billing                  BillingAddress         `json:"billing"`
	Metadata                 Metadata               `json:"metadata"`
	CreatedAt                time.Time              `json:"created_at"`
	UpdatedAt                *time.Time             `json:"updated_at"`
	ErrorCode                *string                `json:"error_code"`
	ErrorMessage             *string                `json:"error_message"`
	RetryAttempt             int                    `json:"retry_attempt"`
	IsUpdatePaymentMethod    bool                   `json:"is_update_payment_method"`
	PaymentProvider          string                 `json:"payment_provider"`
	DigitalProductsDelivered bool                   `json:"digital_products_delivered"`
	Disputes                 []json.RawMessage      `json:"disputes"`
	Refunds                  []json.RawMessage      `json:"refunds"`
	RefundStatus             *string                `json:"refund_status"`
	PaymentLink              *string                `json:"payment_link"`
	PaymentMethod            *string                `json:"payment_method"`
	PaymentMethodType        *string                `json:"payment_method_type"`
	PaymentMethodID          *string                `json:"payment_method_id"`
	CardLastFour             *string                `json:"card_last_four"`
	CardNetwork              *string                `json:"card_network"`
	CardType                 *string                `json:"card_type"`
	CardHolderName           *string                `json:"card_holder_name"`
	CardIssuingCountry       *string                `json:"card_issuing_country"`
	CheckoutSessionID        *string                `json:"checkout_session_id"`
	InvoiceID                *string                `json:"invoice_id"`
	InvoiceURL               *string                `json:"invoice_url"`
	ProductCart              []ProductCartItem      `json:"product_cart"`
	Discounts                []json.RawMessage      `json:"discounts"`
	DiscountID               *string                `json:"discount_id"`
	CustomFieldResponses     []json.RawMessage      `json:"custom_field_responses"`
}

// StatusOrEmpty returns the status, or "" when the API sent null.
func (p Payment) StatusOrEmpty() PaymentStatus {
	if p.Status == nil {
		return ""
	}
	return *p.Status
}

// PaymentListItem is an item of GET /payments (3.4).
type PaymentListItem struct {
	PaymentID                string                 `json:"payment_id"`
	BrandID                  string                 `json:"brand_id"`
	CreatedAt                time.Time              `json:"created_at"`
	Currency                 string                 `json:"currency"`
	Customer                 CustomerLimitedDetails `json:"customer"`
	Metadata                 Metadata               `json:"metadata"`
	TotalAmount              int64                  `json:"total_amount"`
	DigitalProductsDelivered bool                   `json:"digital_products_delivered"`
	HasLicenseKey            bool                   `json:"has_license_key"`
	PaymentProvider          string                 `json:"payment_provider"`
	Status                   *PaymentStatus         `json:"status"`
	SubscriptionID           *string                `json:"subscription_id"`
	PaymentMethod            *string                `json:"payment_method"`
	PaymentMethodType        *string                `json:"payment_method_type"`
	CardLastFour             *string                `json:"card_last_four"`
	CardNetwork              *string                `json:"card_network"`
	InvoiceID                *string                `json:"invoice_id"`
	InvoiceURL               *string                `json:"invoice_url"`
	DisputeStatus            *string                `json:"dispute_status"`
	RefundStatus             *string                `json:"refund_status"`
}

// PaymentList is the body of GET /payments.
type PaymentList struct {
	Items []PaymentListItem `json:"items"`
}

// CustomerPaymentMethodList is the body of GET /customers/{id}/payment-methods.
type CustomerPaymentMethodList struct {
	Items []CustomerPaymentMethod `json:"items"`
}

// ListPaymentsParams filters GET /payments. Zero values are not sent.
type ListPaymentsParams struct {
	SubscriptionID string
	CustomerID     string
	ProductID      string
	Status         PaymentStatus
	Currency       string
	CreatedAtGTE   *time.Time
	CreatedAtLTE   *time.Time
	// PageNumber is zero-based; nil leaves it to the server (0).
	PageNumber *int
	// PageSize defaults to 10 server-side; max 100.
	PageSize int
}

// Values encodes the parameters as a query string.
func (p ListPaymentsParams) Values() url.Values {
	q := url.Values{}
	setString(q, "subscription_id", p.SubscriptionID)
	setString(q, "customer_id", p.CustomerID)
	setString(q, "product_id", p.ProductID)
	setString(q, "status", string(p.Status))
	setString(q, "currency", p.Currency)
	setTime(q, "created_at_gte", p.CreatedAtGTE)
	setTime(q, "created_at_lte", p.CreatedAtLTE)
	setPage(q, p.PageNumber, p.PageSize)
	return q
}

// ErrorBody is Dodo's error response body (5.1).
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
