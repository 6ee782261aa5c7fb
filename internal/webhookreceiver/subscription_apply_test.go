package webhookreceiver

import (
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

func eventRef(id string, at time.Time) billingv1alpha1.WebhookEventRef {
	return providerstate.EventRef(id, "subscription.active", at)
}

func TestApplySubscriptionEvent(t *testing.T) {
	t0 := testStart
	appliedAt := func(at time.Time) billingv1alpha1.SubscriptionStatus {
		var s billingv1alpha1.SubscriptionStatus
		applySubscriptionEvent(&s, 1, eventRef("msg_1", at), subscriptionData("sub_1", dodo.SubscriptionStatusActive, nil))
		return s
	}
	applied := func() billingv1alpha1.SubscriptionStatus { return appliedAt(t0) }
	for name, tc := range map[string]struct {
		status     billingv1alpha1.SubscriptionStatus
		ref        billingv1alpha1.WebhookEventRef
		data       *dodo.Subscription
		want       outcome
		wantStatus string
	}{
		"first event on a fresh object": {ref: eventRef("msg_1", t0),
			data: subscriptionData("sub_1", dodo.SubscriptionStatusActive, nil), want: outcomeApplied, wantStatus: "active"},
		"same webhook-id again": {status: applied(), ref: eventRef("msg_1", t0),
			data: subscriptionData("sub_1", dodo.SubscriptionStatusOnHold, nil), want: outcomeDuplicate, wantStatus: "active"},
		"same content under a new id": {status: applied(), ref: eventRef("msg_2", t0),
			data: subscriptionData("sub_1", dodo.SubscriptionStatusActive, nil), want: outcomeDuplicate, wantStatus: "active"},
		"newer event": {status: applied(), ref: eventRef("msg_2", t0.Add(time.Hour)),
			data: subscriptionData("sub_1", dodo.SubscriptionStatusOnHold, nil), want: outcomeApplied, wantStatus: "on_hold"},
		"older event never rolls back": {status: applied(), ref: eventRef("msg_0", t0.Add(-time.Second)),
			data: subscriptionData("sub_1", dodo.SubscriptionStatusPending, nil), want: outcomeStale, wantStatus: "active"},
		"older event of the same second never rolls back": {status: appliedAt(t0.Add(700 * time.Millisecond)),
			ref: eventRef("msg_0", t0.Add(300*time.Millisecond)), data: subscriptionData("sub_1", dodo.SubscriptionStatusOnHold, nil),
			want: outcomeStale, wantStatus: "active"},
		"newer event of the same second": {status: appliedAt(t0.Add(300 * time.Millisecond)),
			ref: eventRef("msg_2", t0.Add(700*time.Millisecond)), data: subscriptionData("sub_1", dodo.SubscriptionStatusOnHold, nil),
			want: outcomeApplied, wantStatus: "on_hold"},
		"another subscription recorded": {status: billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub_other"},
			ref: eventRef("msg_1", t0), data: subscriptionData("sub_1", dodo.SubscriptionStatusActive, nil),
			want: outcomeUnknownObject, wantStatus: ""},
		"terminal state is final": {status: billingv1alpha1.SubscriptionStatus{ProviderStatus: "cancelled"},
			ref: eventRef("msg_9", t0.Add(time.Hour)), data: subscriptionData("sub_1", dodo.SubscriptionStatusActive, nil),
			want: outcomeStale, wantStatus: "cancelled"},
	} {
		t.Run(name, func(t *testing.T) {
			status := tc.status
			got := applySubscriptionEvent(&status, 1, tc.ref, tc.data)
			assertEqual(t, "outcome", got, tc.want)
			assertEqual(t, "provider status", status.ProviderStatus, tc.wantStatus)
			assertEqual(t, "the controller's subscriptionID is never written", status.SubscriptionID, tc.status.SubscriptionID)
		})
	}
}

func TestApplySubscriptionEventSetsConditionsAndBookkeeping(t *testing.T) {
	var status billingv1alpha1.SubscriptionStatus
	ref := eventRef("msg_1", testStart.Add(1500*time.Millisecond))
	assertEqual(t, "outcome", applySubscriptionEvent(&status, 3, ref, subscriptionData("sub_1", dodo.SubscriptionStatusOnHold, nil)), outcomeApplied)
	assertEqual(t, "OnHold", conditionOf(status.Conditions, billingv1alpha1.ConditionOnHold), "True/PaymentFailed")
	assertEqual(t, "Active", conditionOf(status.Conditions, billingv1alpha1.ConditionActive), "False/OnHold")
	assertEqual(t, "Failed", conditionOf(status.Conditions, billingv1alpha1.ConditionFailed), "False/NotFailed")
	assertEqual(t, "last event", status.LastWebhookEvent.ID, "msg_1")
	assertEqual(t, "timestamp kept to the second", status.LastWebhookEvent.Timestamp.Time, testStart.Add(time.Second))
	assertEqual(t, "and its fraction", providerstate.EventTime(status.LastWebhookEvent), testStart.Add(1500*time.Millisecond))
	assertEqual(t, "remembered ids", len(status.RecentWebhookIDs), 1)
	assertEqual(t, "mirrored customer", status.CustomerID, "cus_test_1")
}

func TestApplyPaymentToSubscriptionExplainsOnHold(t *testing.T) {
	var status billingv1alpha1.SubscriptionStatus
	applySubscriptionEvent(&status, 1, eventRef("msg_1", testStart), subscriptionData("sub_1", dodo.SubscriptionStatusOnHold, nil))
	failed := paymentSummaryOf(paymentData("pay_1", "sub_1", dodo.PaymentStatusFailed, "INSUFFICIENT_FUNDS", nil), dodo.PaymentStatusFailed)
	assertEqual(t, "outcome", applyPaymentToSubscription(&status, 1, "msg_2", "sub_1", failed), outcomeApplied)
	assertEqual(t, "OnHold reason", conditionOf(status.Conditions, billingv1alpha1.ConditionOnHold), "True/InsufficientFunds")
	assertEqual(t, "decline code", status.LastPayment.DeclineCode, "INSUFFICIENT_FUNDS")
	assertEqual(t, "again", applyPaymentToSubscription(&status, 1, "msg_2", "sub_1", failed), outcomeDuplicate)
	assertEqual(t, "other subscription", applyPaymentToSubscription(&billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub_2"},
		1, "msg_3", "sub_1", failed), outcomeUnknownObject)
}

func TestPaymentSupersedes(t *testing.T) {
	at := func(d time.Duration) *metav1.Time { return secondsTime(testStart.Add(d)) }
	summary := func(id, status string, created *metav1.Time) billingv1alpha1.PaymentSummary {
		return billingv1alpha1.PaymentSummary{PaymentID: id, Status: status, At: created}
	}
	for name, tc := range map[string]struct {
		current  *billingv1alpha1.PaymentSummary
		incoming billingv1alpha1.PaymentSummary
		want     bool
	}{
		"nothing recorded":              {nil, summary("pay_1", "processing", at(0)), true},
		"newer payment":                 {ptr.To(summary("pay_1", "failed", at(0))), summary("pay_2", "succeeded", at(time.Hour)), true},
		"older payment":                 {ptr.To(summary("pay_2", "succeeded", at(time.Hour))), summary("pay_1", "failed", at(0)), false},
		"same second, higher id wins":   {ptr.To(summary("pay_a", "failed", at(0))), summary("pay_b", "failed", at(0)), true},
		"same second, lower id loses":   {ptr.To(summary("pay_b", "failed", at(0))), summary("pay_a", "failed", at(0)), false},
		"same payment settles":          {ptr.To(summary("pay_1", "processing", at(0))), summary("pay_1", "failed", at(0)), true},
		"settled never goes back":       {ptr.To(summary("pay_1", "succeeded", at(0))), summary("pay_1", "processing", at(0)), false},
		"same payment, same settlement": {ptr.To(summary("pay_1", "failed", at(0))), summary("pay_1", "failed", at(0)), true},
	} {
		t.Run(name, func(t *testing.T) {
			assertEqual(t, "supersedes", paymentSupersedes(tc.current, tc.incoming), tc.want)
		})
	}
}

func TestCombineOutcomes(t *testing.T) {
	for name, tc := range map[string]struct {
		results     []outcome
		withinGrace bool
		want        outcome
	}{
		"nothing matched":                 {nil, true, outcomeUnknownObject},
		"missing within grace retries":    {[]outcome{outcomeApplied, outcomeMissing}, true, outcomeNotFoundYet},
		"missing after grace is unknown":  {[]outcome{outcomeMissing}, false, outcomeUnknownObject},
		"applied beats duplicate":         {[]outcome{outcomeDuplicate, outcomeApplied}, false, outcomeApplied},
		"duplicate beats stale":           {[]outcome{outcomeStale, outcomeDuplicate}, false, outcomeDuplicate},
		"stale beats unknown object":      {[]outcome{outcomeUnknownObject, outcomeStale}, false, outcomeStale},
		"applied with a missing old item": {[]outcome{outcomeApplied, outcomeMissing}, false, outcomeApplied},
	} {
		t.Run(name, func(t *testing.T) {
			assertEqual(t, "combined", combineOutcomes(tc.results, tc.withinGrace), tc.want)
		})
	}
}

func TestHTTPStatusIs2xxOnlyWhenNothingIsLeft(t *testing.T) {
	for o, want := range map[outcome]int{
		outcomeApplied: http.StatusOK, outcomeDuplicate: http.StatusOK, outcomeStale: http.StatusOK,
		outcomeUnknownObject: http.StatusOK, outcomeIgnored: http.StatusOK,
		outcomeNotFoundYet: http.StatusServiceUnavailable, outcomeError: http.StatusServiceUnavailable,
		outcomeRejectedSignature: http.StatusUnauthorized, outcomeMalformed: http.StatusBadRequest,
		outcomeTooLarge: http.StatusRequestEntityTooLarge, outcomeMethodNotAllowed: http.StatusMethodNotAllowed,
		outcomeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	} {
		assertEqual(t, string(o), httpStatus(o), want)
	}
}
