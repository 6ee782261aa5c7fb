package webhookreceiver

import (
	"slices"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// applyPaymentToAttempt records a payment event on attempt index: its payment ID when not
// recorded yet, and the outcome the payment's status settles (chargestate.Settle, the
// rules the controller applies too). Succeeded and Failed are final: a conflicting later
// event leaves them alone (outcomeStale).
func applyPaymentToAttempt(status *billingv1alpha1.OnDemandChargeStatus, index int, webhookID string,
	payment *dodo.Payment, paymentStatus dodo.PaymentStatus, at time.Time) outcome {
	before := status.DeepCopy()
	attempt := &status.Attempts[index]
	if attempt.PaymentID == "" {
		attempt.PaymentID = payment.PaymentID
	}
	settled := chargestate.OutcomeOf(paymentStatus)
	conflicting := settled != "" && chargestate.IsFinal(attempt.Outcome) && attempt.Outcome != settled
	chargestate.Settle(attempt, payment, paymentStatus, at)
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
