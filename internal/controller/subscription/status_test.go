package subscription

import (
	"errors"
	"testing"

	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
)

func TestReadyCondition(t *testing.T) {
	declined := &billingv1alpha1.PaymentSummary{PaymentID: "pay_1", DeclineCode: "CARD_DECLINED"}
	cases := map[string]struct {
		status     billingv1alpha1.SubscriptionStatus
		out        findings
		wantStatus string
		wantReason string
	}{
		"Deleting":           {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "active"}, findings{deleting: true}, "False", "Deleting"},
		"Stalled":            {billingv1alpha1.SubscriptionStatus{}, findings{stalled: &conditions.Why{Reason: "InvalidSpec", Message: "bad"}}, "False", "InvalidSpec"},
		"NotCreatedYet":      {billingv1alpha1.SubscriptionStatus{}, findings{}, "False", "Creating"},
		"AwaitingPayment":    {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "pending", PaymentLink: "https://x"}, findings{}, "False", "AwaitingPayment"},
		"PendingWithoutLink": {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "pending"}, findings{}, "False", "Pending"},
		"Active":             {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "active"}, findings{}, "True", "Available"},
		"ActiveWithAPIError": {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "active"}, findings{err: errors.New("x")}, "True", "Available"},
		"ActivePlanPending":  {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "active"}, findings{planPending: true}, "False", "PlanChangePending"},
		"PlanNotApplied": {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "active",
			LastPlanChangeRequest: &billingv1alpha1.PlanRequest{ProductID: "p", Quantity: 2}},
			findings{planPending: true, planNotApplied: ptr.To(true)}, "False", "PlanChangeNotApplied"},
		"OnHoldWithDecline":   {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "on_hold", LastPayment: declined}, findings{}, "False", "CardDeclined"},
		"OnHoldWithoutDetail": {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "on_hold"}, findings{}, "False", "PaymentFailed"},
		"Cancelled":           {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "cancelled"}, findings{}, "False", "Cancelled"},
		"FutureStatus":        {billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "past_due"}, findings{}, "False", "PastDue"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := readyCondition(&tc.status, tc.out)
			if string(got.Status) != tc.wantStatus || got.Reason != tc.wantReason || got.Message == "" {
				t.Fatalf("got %s/%s %q, want %s/%s", got.Status, got.Reason, got.Message, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func TestSyncedAndStalledConditions(t *testing.T) {
	cases := map[string]struct {
		out                        findings
		synced, syncedReason       string
		stalledStatus, stallReason string
	}{
		"Success": {findings{}, "True", "ReconcileSuccess", "False", "NotStalled"},
		"Error":   {findings{err: errors.New("reading subscription sub_1: 500")}, "False", "ReconcileError", "False", "NotStalled"},
		"Paused":  {findings{paused: true}, "False", "Paused", "False", "NotStalled"},
		"Stalled": {findings{stalled: &conditions.Why{Reason: "CreateOutcomeUnknown", Message: "check"}}, "True", "ReconcileSuccess", "True", "CreateOutcomeUnknown"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			synced, stalled := syncedCondition(tc.out), stalledCondition(tc.out)
			if string(synced.Status) != tc.synced || synced.Reason != tc.syncedReason {
				t.Errorf("Synced %s/%s", synced.Status, synced.Reason)
			}
			if string(stalled.Status) != tc.stalledStatus || stalled.Reason != tc.stallReason {
				t.Errorf("Stalled %s/%s", stalled.Status, stalled.Reason)
			}
		})
	}
}

func TestSetConditionsStampsObservedGeneration(t *testing.T) {
	sub := &billingv1alpha1.Subscription{}
	sub.Generation = 7
	sub.Status = billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub", ProviderStatus: "active"}
	setConditions(sub, findings{})
	if len(sub.Status.Conditions) != 6 {
		t.Fatalf("want Ready, Synced, Stalled, Active, OnHold, Failed; got %d", len(sub.Status.Conditions))
	}
	for _, c := range sub.Status.Conditions {
		if c.ObservedGeneration != 7 {
			t.Errorf("%s has observedGeneration %d", c.Type, c.ObservedGeneration)
		}
	}
}
