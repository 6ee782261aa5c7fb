package webhookreceiver

import (
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

func TestFindAttempt(t *testing.T) {
	attempts := []billingv1alpha1.ChargeAttempt{pendingAttempt(1, "pay_1"), pendingAttempt(2, "")}
	for name, tc := range map[string]struct {
		paymentID    string
		number       int32
		wantIndex    int
		wantConflict bool
	}{
		"by payment id":                          {"pay_1", 0, 0, false},
		"by payment id, stamp number ignored":    {"pay_1", 2, 0, false},
		"by stamped number, no payment recorded": {"pay_2", 2, 1, false},
		"stamped number records another payment": {"pay_9", 1, -1, true},
		"no stamp and unknown payment":           {"pay_9", 0, -1, false},
		"stamped number not recorded yet":        {"pay_9", 3, -1, false},
	} {
		t.Run(name, func(t *testing.T) {
			index, conflict := findAttempt(attempts, tc.paymentID, tc.number)
			assertEqual(t, "index", index, tc.wantIndex)
			assertEqual(t, "conflict", conflict, tc.wantConflict)
		})
	}
}

func TestChargeStampOf(t *testing.T) {
	id := stamp.Identity{Namespace: "ns", Name: "charge", UID: "uid-1"}
	s, ok := chargeStampOf(stamp.Charge(nil, id, "key-1", 2))
	assertEqual(t, "charge stamp", ok, true)
	assertEqual(t, "attempt number is retry_attempt + 1", s.attemptNumber, int32(3))
	assertEqual(t, "key", s.chargeKey, "key-1")
	_, ok = chargeStampOf(stamp.Subscription(nil, id))
	assertEqual(t, "a subscription stamp names no charge", ok, false)
	_, ok = subscriptionStampOf(stamp.Charge(nil, id, "key-1", 0))
	assertEqual(t, "a charge stamp names no subscription", ok, false)
	garbled := stamp.Charge(nil, id, "key-1", 0)
	garbled[stamp.KeyRetryAttempt] = "x"
	s, _ = chargeStampOf(garbled)
	assertEqual(t, "unreadable attempt", s.attemptNumber, int32(0))
}

func TestApplyPaymentToAttempt(t *testing.T) {
	done := testStart.Add(time.Minute)
	for name, tc := range map[string]struct {
		attempt     billingv1alpha1.ChargeAttempt
		status      dodo.PaymentStatus
		want        outcome
		wantOutcome billingv1alpha1.AttemptOutcome
		wantCode    string
	}{
		"pending attempt succeeds": {pendingAttempt(1, ""), dodo.PaymentStatusSucceeded, outcomeApplied, billingv1alpha1.AttemptSucceeded, ""},
		"pending attempt declines": {pendingAttempt(1, "pay_1"), dodo.PaymentStatusFailed, outcomeApplied,
			billingv1alpha1.AttemptFailed, "INSUFFICIENT_FUNDS"},
		"unknown outcome resolved": {withOutcome(pendingAttempt(1, ""), billingv1alpha1.AttemptUnknown), dodo.PaymentStatusSucceeded,
			outcomeApplied, billingv1alpha1.AttemptSucceeded, ""},
		"processing only records the payment": {pendingAttempt(1, ""), dodo.PaymentStatusProcessing, outcomeApplied,
			billingv1alpha1.AttemptPending, ""},
		"already recorded": {withOutcome(pendingAttempt(1, "pay_1"), billingv1alpha1.AttemptSucceeded), dodo.PaymentStatusSucceeded,
			outcomeDuplicate, billingv1alpha1.AttemptSucceeded, ""},
		"final outcome never flips": {withOutcome(pendingAttempt(1, "pay_1"), billingv1alpha1.AttemptSucceeded), dodo.PaymentStatusFailed,
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
