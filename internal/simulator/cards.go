package simulator

import (
	"fmt"
	"strings"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// DefaultTestCard is the card used when a checkout completion names none and
// the card saved for a new customer created without a payment link.
const DefaultTestCard = "4242424242424242"

// TestCard is one of Dodo's documented test cards (docs/dodo-api.md §7).
type TestCard struct {
	Number  string `json:"number"`
	Network string `json:"network"`
	Country string `json:"country"`
	// DeclineCode is empty for cards that succeed. The docs do not give the
	// exact code; the simulator uses the obvious one (GENERIC_DECLINE or
	// INSUFFICIENT_FUNDS).
	DeclineCode string `json:"decline_code,omitempty"`
}

const (
	networkVisa        = "VISA"
	networkMastercard  = "MASTERCARD"
	codeGenericDecline = "GENERIC_DECLINE"
)

var testCards = map[string]TestCard{
	"4242424242424242": {Number: "4242424242424242", Network: networkVisa, Country: "US"},
	"5555555555554444": {Number: "5555555555554444", Network: networkMastercard, Country: "US"},
	"4576238912771450": {Number: "4576238912771450", Network: networkVisa, Country: "IN"},
	"5409162669381034": {Number: "5409162669381034", Network: networkMastercard, Country: "IN"},
	"4000000000000002": {Number: "4000000000000002", Network: networkVisa, Country: "US", DeclineCode: codeGenericDecline},
	// Documented as "Mastercard" although the number has a Visa BIN.
	"4000000000009995": {Number: "4000000000009995", Network: networkMastercard, Country: "US", DeclineCode: "INSUFFICIENT_FUNDS"},
	"4706131211212123": {Number: "4706131211212123", Network: networkVisa, Country: "IN", DeclineCode: codeGenericDecline},
	"5105105105105100": {Number: "5105105105105100", Network: networkMastercard, Country: "IN", DeclineCode: codeGenericDecline},
}

// LookupTestCard returns the documented test card with this number (spaces
// and dashes ignored).
func LookupTestCard(number string) (TestCard, bool) {
	cleaned := strings.NewReplacer(" ", "", "-", "").Replace(number)
	card, ok := testCards[cleaned]
	return card, ok
}

const declineEmailMarker = "+decline_"

// declineCodeFromEmail implements the project convention of docs/dodo-api.md
// §8.1: "name+decline_<code>@domain" gives the customer a card that declines
// with <CODE> upper-cased. Codes outside the documented table are accepted
// too, so receivers can be tested against unknown codes.
func declineCodeFromEmail(email string) string {
	local, _, found := strings.Cut(email, "@")
	if !found {
		return ""
	}
	_, suffix, found := strings.Cut(local, declineEmailMarker)
	if !found || suffix == "" {
		return ""
	}
	for _, r := range suffix {
		if !isDeclineCodeRune(r) {
			return ""
		}
	}
	return strings.ToUpper(suffix)
}

func isDeclineCodeRune(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// declineFor decides whether charging amount on a saved card declines and
// with which code. A declining test card refuses every authorization,
// including the zero-amount mandate; a card carrying the customer's
// +decline_ code refuses every real charge (amount > 0), so a mandate-only
// subscription of such a customer activates and its first charge fails.
func declineFor(method *paymentMethod, amount int64) string {
	if method == nil {
		return "PAYMENT_METHOD_UNSUPPORTED"
	}
	if method.card.DeclineCode != "" {
		return method.card.DeclineCode
	}
	if amount > 0 {
		return method.customerDeclineCode
	}
	return ""
}

// declineMessage is the error_message of a failed payment. The decline table
// has no texts, so the message names the code and its documented class.
func declineMessage(code string) string {
	class := dodo.ClassifyDecline(code)
	switch {
	case !class.Known:
		return fmt.Sprintf("Payment declined (%s).", code)
	case class.Hard:
		return fmt.Sprintf("Payment declined (%s): hard decline, do not retry this payment method.", code)
	default:
		return fmt.Sprintf("Payment declined (%s): soft decline, a later retry may succeed.", code)
	}
}
