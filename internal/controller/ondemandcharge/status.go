package ondemandcharge

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// findings are what one reconcile found, the input of the condition functions (an
// attempt's outcome is billingv1alpha1.AttemptOutcome; a delivery's, the receiver's outcome).
type findings struct {
	err      error
	waiting  *conditions.Why // a precondition is not met
	stalled  *conditions.Why // a person must look
	finished *conditions.Why // the charge reached Succeeded or Failed in this reconcile
	deleting bool
	paused   bool
}

// setConditions writes Ready, Synced, Stalled, Succeeded and Failed. Succeeded and Failed
// latch: once set True at the end of a charge they never change again.
func setConditions(charge *billingv1alpha1.OnDemandCharge, o findings) {
	st := &charge.Status
	set := func(c metav1.Condition) {
		c.ObservedGeneration = charge.Generation
		meta.SetStatusCondition(&st.Conditions, c)
	}
	if o.finished != nil {
		succeeded := st.Phase == billingv1alpha1.ChargePhaseSucceeded
		set(latch(billingv1alpha1.ConditionSucceeded, succeeded, o.finished))
		set(latch(billingv1alpha1.ConditionFailed, !succeeded, o.finished))
	} else if !isFinished(st.Phase) {
		set(metav1.Condition{Type: billingv1alpha1.ConditionSucceeded, Status: metav1.ConditionFalse, Reason: "NotSucceeded",
			Message: "The amount has not been charged yet."})
		set(metav1.Condition{Type: billingv1alpha1.ConditionFailed, Status: metav1.ConditionFalse, Reason: "NotFailed",
			Message: "The charge has not failed."})
	}
	synced := metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionTrue,
		Reason: billingv1alpha1.ReasonReconcileSuccess, Message: "The last reconcile against Dodo succeeded."}
	switch {
	case o.paused:
		synced = metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonPaused,
			Message: "Reconciliation is paused by the " + billingv1alpha1.AnnotationPaused + " annotation; no calls are made to Dodo."}
	case dodo.IsUnauthorized(o.err):
		synced = metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
			Reason: billingv1alpha1.ReasonCredentialsInvalid, Message: "Dodo refused the operator's API key (HTTP 401/403); " +
				"nothing was charged. Check the key (DODO_PAYMENTS_API_KEY) and its mode (test or live)."}
	case o.err != nil:
		synced = metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
			Reason: billingv1alpha1.ReasonReconcileError, Message: o.err.Error()}
	}
	set(synced)
	set(conditions.Stalled(o.stalled))
	set(readyCondition(charge, o))
}

func latch(conditionType string, isTrue bool, w *conditions.Why) metav1.Condition {
	if isTrue {
		return metav1.Condition{Type: conditionType, Status: metav1.ConditionTrue, Reason: w.Reason, Message: w.Message}
	}
	other := "The charge failed."
	if conditionType == billingv1alpha1.ConditionFailed {
		other = "The charge succeeded."
	}
	return metav1.Condition{Type: conditionType, Status: metav1.ConditionFalse, Reason: "Not" + conditionType, Message: other}
}

func readyCondition(charge *billingv1alpha1.OnDemandCharge, o findings) metav1.Condition {
	st := &charge.Status
	notReady := func(reason, message string) metav1.Condition {
		return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message}
	}
	switch {
	case st.Phase == billingv1alpha1.ChargePhaseSucceeded:
		c := meta.FindStatusCondition(st.Conditions, billingv1alpha1.ConditionSucceeded)
		return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: c.Reason, Message: c.Message}
	case st.Phase == billingv1alpha1.ChargePhaseFailed:
		c := meta.FindStatusCondition(st.Conditions, billingv1alpha1.ConditionFailed)
		return notReady(c.Reason, c.Message)
	case o.stalled != nil:
		return notReady(o.stalled.Reason, o.stalled.Message)
	case o.waiting != nil:
		return notReady(o.waiting.Reason, o.waiting.Message)
	case st.Phase == billingv1alpha1.ChargePhaseRetryScheduled && st.NextAttemptAt != nil:
		last := st.Attempts[len(st.Attempts)-1]
		return notReady(billingv1alpha1.ReasonRetryScheduled, fmt.Sprintf("Attempt %d was declined (%s); attempt %d is scheduled for %s.",
			last.Number, last.DeclineCode, last.Number+1, st.NextAttemptAt.UTC().Format(time.RFC3339)))
	case st.Phase == billingv1alpha1.ChargePhaseCharging:
		return notReady(billingv1alpha1.ReasonCharging, "An attempt is in flight; its outcome arrives by webhook or a read of the payment.")
	}
	return notReady(billingv1alpha1.ReasonPending, "The charge has not started.")
}

func isFinished(phase billingv1alpha1.ChargePhase) bool {
	return phase == billingv1alpha1.ChargePhaseSucceeded || phase == billingv1alpha1.ChargePhaseFailed
}

// currentStall returns the stall recorded for this generation: it waits for a person.
func currentStall(charge *billingv1alpha1.OnDemandCharge) *conditions.Why {
	c := meta.FindStatusCondition(charge.Status.Conditions, billingv1alpha1.ConditionStalled)
	if c == nil || c.Status != metav1.ConditionTrue {
		return nil
	}
	return &conditions.Why{Reason: c.Reason, Message: c.Message}
}
