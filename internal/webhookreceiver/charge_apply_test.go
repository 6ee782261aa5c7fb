package webhookreceiver

import (
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestApplyPaymentToAttempt(t *testing.T) {
	done := testStart.Add(time.Minute)
	for name, tc := range map[string]struct {
		attempt     billingv1alpha1.ChargeAttempt
		status      dodo.PaymentStatus
		want        outcome
		wantOutcome billingv1alpha1.AttemptOutcome
		wantCode    string
	}{
		"pending attempt succeeds": {firstAttempt(""), dodo.PaymentStatusSucceeded, outcomeApplied, billingv1alpha1.AttemptSucceeded, ""},
		"pending attempt declines": {firstAttempt("pay_1"), dodo.PaymentStatusFailed, outcomeApplied,
			billingv1alpha1.AttemptFailed, "INSUFFICIENT_FUNDS"},
		"unknown outcome resolved": {withOutcome(firstAttempt(""), billingv1alpha1.AttemptUnknown), dodo.PaymentStatusSucceeded,
			outcomeApplied, billingv1alpha1.AttemptSucceeded, ""},
		"processing only records the payment": {firstAttempt(""), dodo.PaymentStatusProcessing, outcomeApplied,
			billingv1alpha1.AttemptPending, ""},
		"already recorded": {withOutcome(firstAttempt("pay_1"), billingv1alpha1.AttemptSucceeded), dodo.PaymentStatusSucceeded,
			outcomeDuplicate, billingv1alpha1.AttemptSucceeded, ""},
		// The controller counts a cancelled payment as a failed attempt; so does the receiver
		// (chargestate.OutcomeOf), so the two never disagree.
		"cancelled payment fails the attempt": {firstAttempt("pay_1"), dodo.PaymentStatusCancelled, outcomeApplied,
			billingv1alpha1.AttemptFailed, ""},
		"final outcome never flips": {withOutcome(firstAttempt("pay_1"), billingv1alpha1.AttemptSucceeded), dodo.PaymentStatusFailed,
			outcomeStale, billingv1alpha1.AttemptSucceeded, ""},
	} {
		t.Run(name, func(t *testing.T) {
			status := billingv1alpha1.OnDemandChargeStatus{Attempts: []billingv1alpha1.ChargeAttempt{tc.attempt}}
			code := ""
			if tc.status == dodo.PaymentStatusFailed {
				code = "INSUFFICIENT_FUNDS"
			}
			got := applyPaymentToAttempt(&status, 0, "msg_1", paymentData("pay_1", "sub_1", tc.status, code, nil), tc.status, done)
			assertEqual(t, "outcome", got, tc.want)
			a := status.Attempts[0]
			assertEqual(t, "attempt outcome", a.Outcome, tc.wantOutcome)
			assertEqual(t, "decline code", a.DeclineCode, tc.wantCode)
			assertEqual(t, "payment id", a.PaymentID, "pay_1")
			assertEqual(t, "webhook remembered", seenOnCharge(&status, "msg_1"), got == outcomeApplied)
			if got == outcomeApplied && tc.wantOutcome != billingv1alpha1.AttemptPending {
				assertEqual(t, "completed at the event time", a.CompletedAt.Time, done)
			}
		})
	}
}

func withOutcome(a billingv1alpha1.ChargeAttempt, o billingv1alpha1.AttemptOutcome) billingv1alpha1.ChargeAttempt {
	a.Outcome = o
	return a
}
