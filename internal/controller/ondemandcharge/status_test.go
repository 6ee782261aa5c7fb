package ondemandcharge

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
)

func TestReadyCondition(t *testing.T) {
	next := metav1.NewTime(time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC))
	declined := []billingv1alpha1.ChargeAttempt{{Number: 1, DeclineCode: "INSUFFICIENT_FUNDS"}}
	ended := func(conditionType, reason, message string) []metav1.Condition {
		return []metav1.Condition{{Type: conditionType, Status: metav1.ConditionTrue, Reason: reason, Message: message}}
	}
	cases := map[string]struct {
		status billingv1alpha1.OnDemandChargeStatus
		out    findings
		want   metav1.Condition
	}{
		"Succeeded": {billingv1alpha1.OnDemandChargeStatus{Phase: billingv1alpha1.ChargePhaseSucceeded,
			Conditions: ended(billingv1alpha1.ConditionSucceeded, billingv1alpha1.ReasonCharged, "charged")}, findings{},
			metav1.Condition{Status: metav1.ConditionTrue, Reason: billingv1alpha1.ReasonCharged, Message: "charged"}},
		"Failed": {billingv1alpha1.OnDemandChargeStatus{Phase: billingv1alpha1.ChargePhaseFailed,
			Conditions: ended(billingv1alpha1.ConditionFailed, "HardDecline", "declined")}, findings{},
			metav1.Condition{Status: metav1.ConditionFalse, Reason: "HardDecline", Message: "declined"}},
		"Stalled": {billingv1alpha1.OnDemandChargeStatus{Phase: billingv1alpha1.ChargePhaseCharging},
			findings{stalled: &conditions.Why{Reason: billingv1alpha1.ReasonPaymentOutcomeUnknown, Message: "look"}},
			metav1.Condition{Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonPaymentOutcomeUnknown, Message: "look"}},
		"Waiting": {billingv1alpha1.OnDemandChargeStatus{}, findings{waiting: &conditions.Why{Reason: billingv1alpha1.ReasonWaitingForCapacity, Message: "cap"}},
			metav1.Condition{Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonWaitingForCapacity, Message: "cap"}},
		"RetryScheduled": {billingv1alpha1.OnDemandChargeStatus{Phase: billingv1alpha1.ChargePhaseRetryScheduled, NextAttemptAt: &next,
			Attempts: declined}, findings{},
			metav1.Condition{Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonRetryScheduled,
				Message: "Attempt 1 was declined (INSUFFICIENT_FUNDS); attempt 2 is scheduled for 2026-03-04T05:00:00Z."}},
		"Charging": {billingv1alpha1.OnDemandChargeStatus{Phase: billingv1alpha1.ChargePhaseCharging}, findings{},
			metav1.Condition{Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonCharging,
				Message: "An attempt is in flight; its outcome arrives by webhook or a read of the payment."}},
		"NotStarted": {billingv1alpha1.OnDemandChargeStatus{}, findings{},
			metav1.Condition{Status: metav1.ConditionFalse, Reason: "Pending", Message: "The charge has not started."}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.want.Type = billingv1alpha1.ConditionReady
			got := readyCondition(&billingv1alpha1.OnDemandCharge{Status: tc.status}, tc.out)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("readyCondition (-want +got):\n%s", diff)
			}
		})
	}
}

// statusOf is each condition's status and reason, the part setConditions decides.
func statusOf(charge *billingv1alpha1.OnDemandCharge) map[string]string {
	out := map[string]string{}
	for _, c := range charge.Status.Conditions {
		out[c.Type] = string(c.Status) + "/" + c.Reason
	}
	return out
}

func TestSetConditions(t *testing.T) {
	cases := map[string]struct {
		phase billingv1alpha1.ChargePhase
		out   findings
		want  map[string]string
	}{
		"InFlight": {billingv1alpha1.ChargePhaseCharging, findings{}, map[string]string{
			"Succeeded": "False/NotSucceeded", "Failed": "False/NotFailed", "Synced": "True/ReconcileSuccess",
			"Stalled": "False/NotStalled", "Ready": "False/Charging"}},
		"EndsSucceeded": {billingv1alpha1.ChargePhaseSucceeded, findings{finished: &conditions.Why{Reason: billingv1alpha1.ReasonCharged, Message: "ok"}},
			map[string]string{"Succeeded": "True/Charged", "Failed": "False/NotFailed", "Synced": "True/ReconcileSuccess",
				"Stalled": "False/NotStalled", "Ready": "True/Charged"}},
		"EndsFailed": {billingv1alpha1.ChargePhaseFailed, findings{finished: &conditions.Why{Reason: "HardDecline", Message: "no"}},
			map[string]string{"Succeeded": "False/NotSucceeded", "Failed": "True/HardDecline", "Synced": "True/ReconcileSuccess",
				"Stalled": "False/NotStalled", "Ready": "False/HardDecline"}},
		"Paused": {billingv1alpha1.ChargePhaseWaiting, findings{paused: true, err: errors.New("ignored while paused")},
			map[string]string{"Succeeded": "False/NotSucceeded", "Failed": "False/NotFailed", "Synced": "False/Paused",
				"Stalled": "False/NotStalled", "Ready": "False/Pending"}},
		"Error": {billingv1alpha1.ChargePhaseWaiting, findings{err: errors.New("reading payment pay_1: 500")},
			map[string]string{"Succeeded": "False/NotSucceeded", "Failed": "False/NotFailed", "Synced": "False/ReconcileError",
				"Stalled": "False/NotStalled", "Ready": "False/Pending"}},
		"Stalled": {billingv1alpha1.ChargePhaseCharging, findings{stalled: &conditions.Why{Reason: billingv1alpha1.ReasonPaymentOutcomeUnknown, Message: "look"}},
			map[string]string{"Succeeded": "False/NotSucceeded", "Failed": "False/NotFailed", "Synced": "True/ReconcileSuccess",
				"Stalled": "True/PaymentOutcomeUnknown", "Ready": "False/PaymentOutcomeUnknown"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			charge := &billingv1alpha1.OnDemandCharge{Status: billingv1alpha1.OnDemandChargeStatus{Phase: tc.phase}}
			charge.Generation = 3
			setConditions(charge, tc.out)
			if diff := cmp.Diff(tc.want, statusOf(charge)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			for _, c := range charge.Status.Conditions {
				if c.ObservedGeneration != 3 || c.Message == "" {
					t.Errorf("%s: observedGeneration %d, message %q", c.Type, c.ObservedGeneration, c.Message)
				}
			}
		})
	}
}

// A charge that ended in an earlier reconcile keeps its latched Succeeded and Failed.
func TestSetConditionsKeepsTheLatch(t *testing.T) {
	charge := &billingv1alpha1.OnDemandCharge{Status: billingv1alpha1.OnDemandChargeStatus{Phase: billingv1alpha1.ChargePhaseSucceeded}}
	setConditions(charge, findings{finished: &conditions.Why{Reason: billingv1alpha1.ReasonCharged, Message: "ok"}})
	latched := *meta.FindStatusCondition(charge.Status.Conditions, billingv1alpha1.ConditionSucceeded)
	setConditions(charge, findings{})
	got := *meta.FindStatusCondition(charge.Status.Conditions, billingv1alpha1.ConditionSucceeded)
	if diff := cmp.Diff(latched, got, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
		t.Errorf("Succeeded changed after the charge ended (-before +after):\n%s", diff)
	}
}
