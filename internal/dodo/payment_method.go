package dodo

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/utils/ptr"
)

// PaymentMethodUpdateType discriminates the update-payment-method union.
type PaymentMethodUpdateType string

// Update-payment-method variants (docs/dodo-api.md §3.5).
const (
	PaymentMethodUpdateNew      PaymentMethodUpdateType = "new"
	PaymentMethodUpdateExisting PaymentMethodUpdateType = "existing"
)

// UpdatePaymentMethodRequest is the body of
// POST /subscriptions/{id}/update-payment-method. The union is marshalled at
// the ROOT of the body: {"type":"new",...} or {"type":"existing",...}.
type UpdatePaymentMethodRequest struct {
	Type PaymentMethodUpdateType
	// ReturnURL and AllowedPaymentMethodTypes belong to the "new" variant.
	ReturnURL                 *string
	AllowedPaymentMethodTypes []string
	// PaymentMethodID belongs to (and is required by) the "existing" variant.
	PaymentMethodID string
}

// UseNewPaymentMethod builds the "new" variant: Dodo returns a hosted link.
func UseNewPaymentMethod(returnURL *string, allowedTypes ...string) UpdatePaymentMethodRequest {
	return UpdatePaymentMethodRequest{
		Type:                      PaymentMethodUpdateNew,
		ReturnURL:                 returnURL,
		AllowedPaymentMethodTypes: allowedTypes,
	}
}

// UseExistingPaymentMethod builds the "existing" variant for a saved method.
func UseExistingPaymentMethod(paymentMethodID string) UpdatePaymentMethodRequest {
	return UpdatePaymentMethodRequest{Type: PaymentMethodUpdateExisting, PaymentMethodID: paymentMethodID}
}

type newPaymentMethodWire struct {
	Type                      PaymentMethodUpdateType `json:"type"`
	ReturnURL                 *string                 `json:"return_url,omitempty"`
	AllowedPaymentMethodTypes []string                `json:"allowed_payment_method_types,omitempty"`
}

type existingPaymentMethodWire struct {
	Type            PaymentMethodUpdateType `json:"type"`
	PaymentMethodID string                  `json:"payment_method_id"`
}

// MarshalJSON emits only the fields of the selected variant.
func (r UpdatePaymentMethodRequest) MarshalJSON() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Type == PaymentMethodUpdateExisting {
		return json.Marshal(existingPaymentMethodWire{Type: r.Type, PaymentMethodID: r.PaymentMethodID})
	}
	return json.Marshal(newPaymentMethodWire{
		Type:                      r.Type,
		ReturnURL:                 r.ReturnURL,
		AllowedPaymentMethodTypes: r.AllowedPaymentMethodTypes,
	})
}

// UnmarshalJSON reads either variant (used by the simulator). The type is not
// validated here; call Validate.
func (r *UpdatePaymentMethodRequest) UnmarshalJSON(data []byte) error {
	var wire struct {
		Type                      PaymentMethodUpdateType `json:"type"`
		ReturnURL                 *string                 `json:"return_url"`
		AllowedPaymentMethodTypes []string                `json:"allowed_payment_method_types"`
		PaymentMethodID           string                  `json:"payment_method_id"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return fmt.Errorf("decode update-payment-method request: %w", err)
	}
	*r = UpdatePaymentMethodRequest(wire)
	return nil
}

// Validate checks the discriminator and the variant's required fields.
func (r UpdatePaymentMethodRequest) Validate() error {
	switch r.Type {
	case PaymentMethodUpdateNew:
		return nil
	case PaymentMethodUpdateExisting:
		if r.PaymentMethodID == "" {
			return fmt.Errorf("payment_method_id: %w", ErrMissingRequiredField)
		}
		return nil
	case "":
		return fmt.Errorf("type: %w", ErrMissingRequiredField)
	default:
		return fmt.Errorf("unknown payment method update type %q: %w", r.Type, ErrInvalidRequest)
	}
}

// UpdatePaymentMethodResponse is the update-payment-method response; all
// fields are nullable. ClientSecret is for a browser checkout SDK only:
// callers must never log or store it; String/GoString redact it.
type UpdatePaymentMethodResponse struct {
	ClientSecret *string    `json:"client_secret"`
	ExpiresOn    *time.Time `json:"expires_on"`
	PaymentID    *string    `json:"payment_id"`
	PaymentLink  *string    `json:"payment_link"`
}

// String prints the response without its client secret.
func (r UpdatePaymentMethodResponse) String() string {
	return fmt.Sprintf("UpdatePaymentMethodResponse{PaymentID:%s PaymentLink:%s ExpiresOn:%s ClientSecret:%s}",
		ptr.Deref(r.PaymentID, nilText), ptr.Deref(r.PaymentLink, nilText), formatTimePtr(r.ExpiresOn), redactedMark(r.ClientSecret))
}

// GoString redacts like String so %#v is safe too.
func (r UpdatePaymentMethodResponse) GoString() string { return r.String() }

// CustomerPaymentMethod is one item of GET /customers/{id}/payment-methods.
type CustomerPaymentMethod struct {
	PaymentMethodID   string          `json:"payment_method_id"`
	PaymentMethod     string          `json:"payment_method"`
	PaymentMethodType *string         `json:"payment_method_type,omitempty"`
	Card              json.RawMessage `json:"card,omitempty"`
	LastUsedAt        *time.Time      `json:"last_used_at,omitempty"`
	RecurringEnabled  *bool           `json:"recurring_enabled,omitempty"`
}

const (
	redactedText = "[redacted]"
	nilText      = "<nil>"
)

func redactedMark(s *string) string {
	if s == nil {
		return nilText
	}
	return redactedText
}

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return nilText
	}
	return t.UTC().Format(time.RFC3339)
}
