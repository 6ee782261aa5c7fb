package providerstate

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// ReadyInputs is what Ready depends on besides status: what a reconcile found.
type ReadyInputs struct {
	Deleting    bool
	Stalled     *conditions.Why
	AccountWait *conditions.Why
	// PlanPending: a plan change was sent and Dodo does not show it yet.
	PlanPending bool
	// PlanNotApplied: and a read found it neither applied nor scheduled long after.
	PlanNotApplied bool
	// LinkRequested: spec.paymentLink asks for a payment link.
	LinkRequested bool
}

// ReadyCondition computes a Subscription's Ready condition. It is pure, and the only
// place Ready is decided: the controller calls it after a reconcile, the webhook receiver
// after an event (SetReadyAfterEvent), so the controller's reconcile that follows a
// receiver's write finds Ready already right and writes nothing (issue 17).
func ReadyCondition(status *billingv1alpha1.SubscriptionStatus, in ReadyInputs) metav1.Condition {
	notReady := func(reason, message string) metav1.Condition {
		return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message}
	}
	switch {
	case in.Deleting:
		return notReady(billingv1alpha1.ReasonDeleting, "The Subscription is being deleted; its deletionPolicy is applied in Dodo.")
	case in.Stalled != nil:
		return notReady(in.Stalled.Reason, in.Stalled.Message)
	case status.SubscriptionID == "" && in.AccountWait != nil:
		return notReady(in.AccountWait.Reason, in.AccountWait.Message)
	case status.SubscriptionID == "":
		return notReady(billingv1alpha1.ReasonCreating, "The subscription is being created in Dodo.")
	}
	switch dodo.SubscriptionStatus(status.ProviderStatus) {
	case dodo.SubscriptionStatusActive:
		if in.PlanPending && in.PlanNotApplied && status.LastPlanChangeRequest != nil {
			return notReady(billingv1alpha1.ReasonPlanChangeNotApplied, planNotAppliedMessage(status.LastPlanChangeRequest))
		}
		if in.PlanPending {
			return notReady(billingv1alpha1.ReasonPlanChangePending, "A plan change was sent to Dodo and is not applied yet.")
		}
		return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionTrue,
			Reason: billingv1alpha1.ReasonAvailable, Message: "The subscription is active in Dodo."}
	case dodo.SubscriptionStatusPending:
		if status.PaymentLink != "" {
			return notReady(billingv1alpha1.ReasonAwaitingPayment,
				"Waiting for the customer to complete the payment link in status.paymentLink.")
		}
		if in.LinkRequested {
			return notReady(paymentLinkCondition(status))
		}
		return notReady(billingv1alpha1.ReasonPending, "Dodo has not activated the subscription yet.")
	case dodo.SubscriptionStatusOnHold:
		c := ProviderConditions(status.ProviderStatus, status.LastPayment)[1]
		return notReady(c.Reason, c.Message)
	}
	return notReady(ReasonFromCode(status.ProviderStatus), "Dodo reports the subscription "+status.ProviderStatus+".")
}

// planNotAppliedMessage tells a person what to check and how to send the change again.
func planNotAppliedMessage(last *billingv1alpha1.PlanRequest) string {
	sent := last.RequestedAt.UTC().Format(time.RFC3339)
	return fmt.Sprintf("The change-plan to %s x%d sent at %s shows in Dodo neither applied nor scheduled: its answer was "+
		"most likely lost before Dodo took it. It is not sent again on its own (a change-plan can charge). Check the "+
		"subscription in Dodo's dashboard; if the change is not there, send it once more with: kubectl annotate "+
		"subscription NAME %s=%s", last.ProductID, last.Quantity, sent, billingv1alpha1.AnnotationResendPlanChange, sent)
}

// paymentLinkCondition explains a pending subscription whose payment link is not in
// status: expired, or never known.
func paymentLinkCondition(status *billingv1alpha1.SubscriptionStatus) (string, string) {
	if exp := status.PaymentLinkExpiresAt; exp != nil {
		return billingv1alpha1.ReasonPaymentLinkExpired, "The payment link expired at " + exp.UTC().Format(time.RFC3339) +
			" before the customer completed it; Dodo ends the subscription as failed. Delete this object and create " +
			"it again for a new link."
	}
	return billingv1alpha1.ReasonPaymentLinkUnavailable, "The customer must complete a payment link, but its link is unknown: the create " +
		"call's answer, which carries it, was lost, and Dodo shows no payment with a link for subscription " +
		status.SubscriptionID + " yet. The operator looks again at each read; the link is also shown on the " +
		"subscription in Dodo's dashboard. If the link expired, the subscription fails: delete this object and create " +
		"it again for a new link."
}

// ReadyInputsOf is what the object itself says of the inputs a reconcile that makes no
// call would find: a deletion and a plan change not applied yet (neither while paused: a
// paused reconcile looks at neither), a recorded stall, spec.paymentLink. An account that
// cannot be used matters only before the ID is known, when the receiver leaves Ready alone.
func ReadyInputsOf(sub *billingv1alpha1.Subscription) ReadyInputs {
	paused := sub.Annotations[billingv1alpha1.AnnotationPaused] == "true"
	in := ReadyInputs{
		Deleting:      !sub.DeletionTimestamp.IsZero() && !paused,
		PlanPending:   sub.Status.LastPlanChangeRequest != nil && !paused,
		LinkRequested: ptr.Deref(sub.Spec.PaymentLink, false),
	}
	// Only a read can find a change not applied; until the next one, Ready keeps saying so.
	if ready := meta.FindStatusCondition(sub.Status.Conditions, billingv1alpha1.ConditionReady); ready != nil {
		in.PlanNotApplied = in.PlanPending && ready.Reason == billingv1alpha1.ReasonPlanChangeNotApplied
	}
	if c := meta.FindStatusCondition(sub.Status.Conditions, billingv1alpha1.ConditionStalled); c != nil &&
		c.Status == metav1.ConditionTrue {
		in.Stalled = &conditions.Why{Reason: c.Reason, Message: c.Message}
	}
	return in
}

// SetReadyAfterEvent sets Ready after a webhook changed the provider fields, as the
// controller's next reconcile would set it. Before the controller has recorded the
// subscription's ID, Ready is the controller's alone (it is creating, or waiting).
func SetReadyAfterEvent(sub *billingv1alpha1.Subscription) {
	if sub.Status.SubscriptionID == "" {
		return
	}
	c := ReadyCondition(&sub.Status, ReadyInputsOf(sub))
	c.ObservedGeneration = sub.Generation
	meta.SetStatusCondition(&sub.Status.Conditions, c)
}
