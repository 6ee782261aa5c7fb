// Package chargestate holds the rules that the OnDemandCharge controller and the webhook
// receiver both apply to a charge's payments, so that they can never disagree: the charge's
// key, what a payment's stamp says, which attempt a payment belongs to, and what a payment
// status settles (like providerstate for subscriptions).
package chargestate

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// KeyOf is the key in effect for a charge: status.chargeKey once recorded, else
// spec.chargeKey, else the object's name. It survives deletion and re-creation.
func KeyOf(charge *billingv1alpha1.OnDemandCharge) string {
	switch {
	case charge.Status.ChargeKey != "":
		return charge.Status.ChargeKey
	case charge.Spec.ChargeKey != "":
		return charge.Spec.ChargeKey
	}
	return charge.Name
}

// Stamp is what a payment's metadata says about the attempt that made it. Only a charge
// stamp (k8s_charge_key present) names a charge; dues and renewal payments carry none.
type Stamp struct {
	Identity  stamp.Identity
	ChargeKey string
	// AttemptNumber is retry_attempt + 1 (attempts count from 1), or 0 when unreadable.
	AttemptNumber int32
}

// StampOf reads a charge stamp.
func StampOf(metadata dodo.Metadata) (Stamp, bool) {
	key := metadata[stamp.KeyChargeKey]
	identity, ok := stamp.IdentityOf(metadata)
	if key == "" || !ok {
		return Stamp{}, false
	}
	s := Stamp{Identity: identity, ChargeKey: key}
	if n, err := strconv.ParseInt(metadata[stamp.KeyRetryAttempt], 10, 32); err == nil && n >= 0 && n < 1<<30 {
		s.AttemptNumber = int32(n) + 1
	}
	return s, true
}

// MadeBy reports whether a stamped payment was made by the attempt of the charge key.
func MadeBy(metadata dodo.Metadata, chargeKey string, attempt int32) bool {
	s, ok := StampOf(metadata)
	return ok && s.ChargeKey == chargeKey && s.AttemptNumber == attempt
}

// FindAttempt returns the index of the attempt a payment belongs to: the one recording its
// payment ID, else the one numbered by the stamp (number > 0) that records no payment yet.
// conflict is true when the numbered attempt records a different payment: a second payment
// for one attempt, which must never be taken for the first.
func FindAttempt(attempts []billingv1alpha1.ChargeAttempt, paymentID string, number int32) (index int, conflict bool) {
	for i, a := range attempts {
		if a.PaymentID == paymentID {
			return i, false
		}
	}
	if number <= 0 {
		return -1, false
	}
	for i, a := range attempts {
		if a.Number == number {
			if a.PaymentID != "" {
				return -1, true
			}
			return i, false
		}
	}
	return -1, false
}

// OutcomeOf is the attempt outcome a payment status settles, or "" while the payment is in
// flight. A cancelled payment moved no money: the attempt failed (with no decline code, so
// the retry policy does not retry it on its own).
func OutcomeOf(status dodo.PaymentStatus) billingv1alpha1.AttemptOutcome {
	switch status {
	case dodo.PaymentStatusSucceeded:
		return billingv1alpha1.AttemptSucceeded
	case dodo.PaymentStatusFailed, dodo.PaymentStatusCancelled:
		return billingv1alpha1.AttemptFailed
	}
	return ""
}

// IsFinal reports a latched outcome: Succeeded and Failed never change.
func IsFinal(o billingv1alpha1.AttemptOutcome) bool {
	return o == billingv1alpha1.AttemptSucceeded || o == billingv1alpha1.AttemptFailed
}

// Settle records the outcome that status settles on the attempt, with the payment's
// decline code and message, completed at the payment's updated_at (else at, the caller's
// best time: the event's, or now). It reports whether it changed the attempt: false while
// the payment is in flight or when the attempt's outcome is already final.
func Settle(a *billingv1alpha1.ChargeAttempt, p *dodo.Payment, status dodo.PaymentStatus, at time.Time) bool {
	settled := OutcomeOf(status)
	if settled == "" || IsFinal(a.Outcome) {
		return false
	}
	if p.UpdatedAt != nil && !p.UpdatedAt.IsZero() {
		at = *p.UpdatedAt
	}
	a.Outcome, a.AwaitingCustomerSince = settled, nil
	a.CompletedAt = ptr.To(metav1.NewTime(at.UTC().Truncate(time.Second)))
	a.DeclineCode, a.Message = "", ""
	if settled == billingv1alpha1.AttemptFailed {
		a.DeclineCode, a.Message = ptr.Deref(p.ErrorCode, ""), ptr.Deref(p.ErrorMessage, "")
	}
	return true
}
