package webhookreceiver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

func TestUnknownObjectsAreAcknowledgedAndCounted(t *testing.T) {
	f := newFixture(t)
	obj := f.createSubscription("someone")
	replaced := stamp.Subscription(nil, stamp.Identity{Namespace: f.ns, Name: "someone", UID: types.UID("an-older-uid")})
	refund := []byte(`{"business_id":"bus_1","type":"refund.succeeded","timestamp":"2026-04-01T12:00:00Z","data":{"payload_type":"Refund","refund_id":"ref_1"}}`)
	for name, tc := range map[string]struct {
		body      []byte
		eventType string
		want      outcome
	}{
		"a subscription nobody here manages": {envelope(t, dodo.EventSubscriptionActive, testStart,
			subscriptionData("sub_nobody", dodo.SubscriptionStatusActive, nil)), "subscription.active", outcomeUnknownObject},
		"stamped for an object replaced since": {envelope(t, dodo.EventSubscriptionOnHold, testStart,
			subscriptionData("sub_replaced", dodo.SubscriptionStatusOnHold, replaced)), "subscription.on_hold", outcomeUnknownObject},
		"a one-time payment": {envelope(t, dodo.EventPaymentSucceeded, testStart,
			paymentData("pay_one_time", "", dodo.PaymentStatusSucceeded, "", nil)), "payment.succeeded", outcomeUnknownObject},
		"an event family not applied": {refund, typeOther, outcomeIgnored},
	} {
		t.Run(name, func(t *testing.T) {
			f.mustDeliver("msg_"+strings.ReplaceAll(name, " ", "_"), tc.body, http.StatusOK)
			assertEqual(t, "counted", f.count(tc.eventType, tc.want), 1.0)
		})
	}
	assertEqual(t, "the replaced object is untouched", f.subscription("someone").Status.ProviderStatus, "")
	assertEqual(t, "its UID", obj.UID != "an-older-uid", true)
}

func TestStampedObjectNotFoundYetAnswers503WithinTheGrace(t *testing.T) {
	f := newFixture(t)
	future := stamp.Subscription(nil, stamp.Identity{Namespace: f.ns, Name: "not-yet", UID: types.UID("uid-not-yet")})
	body := envelope(t, dodo.EventSubscriptionActive, f.clock.Now(), subscriptionData("sub_not_yet", dodo.SubscriptionStatusActive, future))
	f.mustDeliver("msg_not_yet", body, http.StatusServiceUnavailable)
	assertEqual(t, "counted", f.count("subscription.active", outcomeNotFoundYet), 1.0)
	f.clock.Step(DefaultNotFoundGrace + time.Second)
	f.mustDeliver("msg_not_yet", body, http.StatusOK)
	assertEqual(t, "after the grace", f.count("subscription.active", outcomeUnknownObject), 1.0)
}

func TestStampFindsTheObjectBeforeItsIDIsRecorded(t *testing.T) {
	f := newFixture(t)
	obj := f.createSubscription("fresh")
	failed := paymentData("pay_first", "sub_fresh", dodo.PaymentStatusFailed, "INSUFFICIENT_FUNDS", stampOf(obj))
	f.mustDeliver("msg_pay", envelope(t, dodo.EventPaymentFailed, testStart, failed), http.StatusOK)
	f.mustDeliver("msg_sub", envelope(t, dodo.EventSubscriptionFailed, testStart,
		subscriptionData("sub_fresh", dodo.SubscriptionStatusFailed, stampOf(obj))), http.StatusOK)
	st := f.subscription("fresh").Status
	assertEqual(t, "provider status", st.ProviderStatus, "failed")
	assertEqual(t, "Failed", conditionOf(st.Conditions, billingv1alpha1.ConditionFailed), "True/InsufficientFunds")
	assertEqual(t, "subscriptionID stays the controller's to record", st.SubscriptionID, "")
}

func TestChargeStampMatching(t *testing.T) {
	f := newFixture(t)
	f.createSubscription("od")
	f.recordSubscriptionID("od", "sub_od")
	charge := f.createCharge("charge", "od", firstAttempt("pay_recorded"))

	// Attempt 2 is not recorded yet: Dodo must retry (the controller records it first).
	early := paymentData("pay_2", "sub_od", dodo.PaymentStatusSucceeded, "", chargeStampFor(charge, 1))
	f.mustDeliver("msg_early", envelope(t, dodo.EventPaymentSucceeded, f.clock.Now(), early), http.StatusServiceUnavailable)

	// A second payment stamped as attempt 1, which records another payment: never merged.
	second := paymentData("pay_second", "sub_od", dodo.PaymentStatusSucceeded, "", chargeStampFor(charge, 0))
	f.mustDeliver("msg_second", envelope(t, dodo.EventPaymentSucceeded, f.clock.Now(), second), http.StatusOK)
	attempt := f.charge("charge").Status.Attempts[0]
	assertEqual(t, "attempt 1 keeps its payment", attempt.PaymentID, "pay_recorded")
	assertEqual(t, "and its outcome", attempt.Outcome, billingv1alpha1.AttemptPending)
	if !strings.Contains(f.logs.String(), "duplicate charge") {
		t.Fatal("a second payment for one attempt was not logged for a person")
	}

	// The recorded payment settles.
	paid := paymentData("pay_recorded", "sub_od", dodo.PaymentStatusSucceeded, "", chargeStampFor(charge, 0))
	f.mustDeliver("msg_paid", envelope(t, dodo.EventPaymentSucceeded, f.clock.Now(), paid), http.StatusOK)
	assertEqual(t, "settled", f.charge("charge").Status.Attempts[0].Outcome, billingv1alpha1.AttemptSucceeded)
	// Both payments are the subscription's, created in the same second: the higher ID wins,
	// whatever the delivery order.
	assertEqual(t, "subscription's last payment", f.subscription("od").Status.LastPayment.PaymentID, "pay_second")
	f.mustDeliver("msg_paid", envelope(t, dodo.EventPaymentSucceeded, f.clock.Now(), paid), http.StatusOK)
	assertEqual(t, "redelivery", f.count("payment.succeeded", outcomeDuplicate), 1.0)
}
