package dodo

import (
	"context"
)

// RouteBrands lists the brands of the API key's business; also the metrics label.
const RouteBrands = "/brands"

// Brand is an item of GET /brands (Dodo's Go SDK brand.go). Nullable fields are pointers.
type Brand struct {
	BrandID             string  `json:"brand_id"`
	BusinessID          string  `json:"business_id"`
	Enabled             bool    `json:"enabled"`
	StatementDescriptor string  `json:"statement_descriptor"`
	VerificationEnabled bool    `json:"verification_enabled"`
	VerificationStatus  string  `json:"verification_status"`
	Name                *string `json:"name"`
	Description         *string `json:"description"`
	Image               *string `json:"image"`
	ReasonForHold       *string `json:"reason_for_hold"`
	SupportEmail        *string `json:"support_email"`
	URL                 *string `json:"url"`
}

// DisplayName is the brand's name, or its ID when it has none.
func (b Brand) DisplayName() string {
	if b.Name != nil && *b.Name != "" {
		return *b.Name
	}
	return b.BrandID
}

// BrandList is the body of GET /brands: every brand at once (the endpoint is not paged).
type BrandList struct {
	Items []Brand `json:"items"`
}

// ListBrands lists the brands of the key's business. It is the cheapest read that proves
// a key works and names its business (Dodo has no "who am I" call), so the account
// controller checks credentials with it.
func (c *Client) ListBrands(ctx context.Context) ([]Brand, error) {
	return listItems[Brand](ctx, c, RouteBrands, nil)
}
