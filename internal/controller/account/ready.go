package account

import (
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Reasons of the Ready condition; AccountSecretNotFound and AccountInvalid come from
// accounts.NotUsableError, CredentialsInvalid is the API's shared reason.
const (
	ReasonCredentialsVerified = "CredentialsVerified"
	ReasonUnreachable         = "Unreachable"
	// ReasonSecretUnreadable: the API key's Secret could not be read (not a missing
	// Secret: a refused or failed read from the API server).
	ReasonSecretUnreadable = "SecretUnreadable"
)

// check is what one reconcile learned about the account's key.
type check struct {
	// resolveErr is why no client could be made (the key's Secret, the spec).
	resolveErr error
	// apiErr is the answer of the one read (ListBrands), when there was a client.
	apiErr  error
	baseURL string
	brands  []dodo.Brand
	// secret names the key's Secret in messages ("namespace/name key k"), never its value.
	secret string
}

// called reports whether Dodo was asked, so lastCheckedAt moves.
func (c check) called() bool { return c.resolveErr == nil }

// business is the business the brands belong to ("" without brands).
func (c check) business() string {
	for _, b := range c.brands {
		if b.BusinessID != "" {
			return b.BusinessID
		}
	}
	return ""
}

// brandNames are the brands as status shows them.
func (c check) brandNames() []string {
	names := make([]string, 0, len(c.brands))
	for _, b := range c.brands {
		names = append(names, b.DisplayName())
	}
	return names
}

// readyCondition decides the Ready condition from a check. Its messages name the base
// URL, the business and the Secret, never a key or a secret value.
func readyCondition(c check) metav1.Condition {
	notReady := func(reason, format string, args ...any) metav1.Condition {
		return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: reason, Message: fmt.Sprintf(format, args...)}
	}
	var unusable *accounts.NotUsableError
	switch {
	case errors.As(c.resolveErr, &unusable):
		return notReady(unusable.Reason, "%s", unusable.Message)
	case c.resolveErr != nil:
		return notReady(ReasonSecretUnreadable, "The API key could not be read: %v", c.resolveErr)
	case dodo.IsUnauthorized(c.apiErr):
		return notReady(billingv1alpha1.ReasonCredentialsInvalid,
			"The payments API at %s refused the API key in %s (HTTP %d): check the key and that its mode (test or live) matches the base URL.",
			c.baseURL, c.secret, dodo.StatusCode(c.apiErr))
	case c.apiErr != nil:
		return notReady(ReasonUnreachable, "The API key could not be checked against %s: %v", c.baseURL, c.apiErr)
	}
	business := c.business()
	if business == "" {
		business = "unknown: it has no brands"
	}
	return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionTrue,
		Reason: ReasonCredentialsVerified, Message: fmt.Sprintf("The API key works against %s (business %s; brands: %s).",
			c.baseURL, business, orNone(strings.Join(c.brandNames(), ", ")))}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
