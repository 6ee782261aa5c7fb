package webhookreceiver

import (
	"slices"
	"strconv"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// chargeStamp is what a payment's metadata says about the OnDemandCharge attempt that made
// it. Only a charge stamp (k8s_charge_key present) names a charge: renewal and dues
// payments carry the subscription's stamp, whose name is the Subscription's.
type chargeStamp struct {
	identity  stamp.Identity
	chargeKey string
	// attemptNumber is retry_attempt + 1 (attempts count from 1), or 0 when unreadable.
	attemptNumber int32
}

func chargeStampOf(metadata dodo.Metadata) (chargeStamp, bool) {
	key := metadata[stamp.KeyChargeKey]
	identity, ok := stamp.IdentityOf(metadata)
	if key == "" || !ok {
		return chargeStamp{}, false
	}
	s := chargeStamp{identity: identity, chargeKey: key}
	if n, err := strconv.ParseInt(metadata[stamp.KeyRetryAttempt], 10, 32); err == nil && n >= 0 && n < 1<<30 {
		s.attemptNumber = int32(n) + 1
	}
	return s, true
}

// subscriptionStampOf reads a subscription stamp; a charge stamp is not one (its name is
// the charge's).
func subscriptionStampOf(metadata dodo.Metadata) (stamp.Identity, bool) {
	if metadata[stamp.KeyChargeKey] != "" {
		return stamp.Identity{}, false
	}
	return stamp.IdentityOf(metadata)
}

// chargeKeyOf is the key in effect for a charge: status.chargeKey, spec.chargeKey, or the
// object's name.
func chargeKeyOf(charge *billingv1alpha1.OnDemandCharge) string {
	switch {
	case charge.Status.ChargeKey != "":
		return charge.Status.ChargeKey
	case charge.Spec.ChargeKey != "":
		return charge.Spec.ChargeKey
	}
	return charge.Name
}

// findAttempt returns the index of the attempt a payment belongs to: the one recording its
// payment ID, else the one numbered by the stamp (number > 0) that records no payment yet.
// conflict is true when the numbered attempt records a different payment: a second payment
// for one attempt, which must never be taken for the first.
func findAttempt(attempts []billingv1alpha1.ChargeAttempt, paymentID string, number int32) (index int, conflict bool) {
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

// attemptOutcomeOf is the attempt outcome a payment status settles, or "" for a status
// that settles nothing (processing, cancelled, ...: the controller reads those itself).
func attemptOutcomeOf(status dodo.PaymentStatus) billingv1alpha1.AttemptOutcome {
	switch status {
	case dodo.PaymentStatusSucceeded:
		return billingv1alpha1.AttemptSucceeded
	case dodo.PaymentStatusFailed:
		return billingv1alpha1.AttemptFailed
	}
	return ""
}

func isFinalOutcome(o billingv1alpha1.AttemptOutcome) bool {
	return o == billingv1alpha1.AttemptSucceeded || o == billingv1alpha1.AttemptFailed
}

// applyPaymentToAttempt records a payment event on attempt index: its payment ID when not
// recorded yet, and for payment.succeeded / payment.failed the outcome, decline code,
// message and completion time (the event's). Succeeded and Failed are final: a conflicting
// later event leaves them alone (outcomeStale).
func applyPaymentToAttempt(status *billingv1alpha1.OnDemandChargeStatus, index int, webhookID string,
	payment *dodo.Payment, paymentStatus dodo.PaymentStatus, at time.Time) outcome {
	before := status.DeepCopy()
	attempt := &status.Attempts[index]
	if attempt.PaymentID == "" {
		attempt.PaymentID = payment.PaymentID
	}
	settled := attemptOutcomeOf(paymentStatus)
	conflicting := settled != "" && isFinalOutcome(attempt.Outcome) && attempt.Outcome != settled
	if settled != "" && !isFinalOutcome(attempt.Outcome) {
		attempt.Outcome = settled
		attempt.CompletedAt = secondsTime(at)
		attempt.DeclineCode, attempt.Message = "", ""
		if settled == billingv1alpha1.AttemptFailed {
			attempt.DeclineCode = deref(payment.ErrorCode)
			attempt.Message = deref(payment.ErrorMessage)
		}
	}
	if sameJSON(before, status) {
		if conflicting {
			return outcomeStale
		}
		return outcomeDuplicate
	}
	status.RecentWebhookIDs, _ = providerstate.RememberWebhookID(status.RecentWebhookIDs, webhookID)
	return outcomeApplied
}

// seenOnCharge says whether the charge has applied this webhook-id already.
func seenOnCharge(status *billingv1alpha1.OnDemandChargeStatus, webhookID string) bool {
	return slices.Contains(status.RecentWebhookIDs, webhookID)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
