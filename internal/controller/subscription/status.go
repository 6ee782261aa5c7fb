package subscription

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// findings are what one reconcile found, the input of the condition functions (an
// attempt's outcome is billingv1alpha1.AttemptOutcome; a delivery's, the receiver's outcome).
type findings struct {
	err         error
	paused      bool
	deleting    bool
	stalled     *conditions.Why
	planPending bool
	// linkRequested: spec asks for a payment link (set by setConditions from spec).
	linkRequested bool
	// account is the account used (zero: the operator's own); accountWait says why it
	// cannot be used now.
	account     accounts.Key
	accountWait *conditions.Why
}

// Condition reasons specific to Subscription.
const (
	reasonPending           = "Pending"
	reasonPlanChangePending = "PlanChangePending"
	reasonAdoptionRefused   = "AdoptionRefused"
	reasonNotFound          = "NotFoundInDodo"
	reasonChangeRefused     = "ChangeRefused"
)

// setConditions writes Ready, Synced and Stalled for the outcome. Active, OnHold and
// Failed come from providerstate, which the webhook receiver shares.
func setConditions(sub *billingv1alpha1.Subscription, o findings) {
	gen := sub.Generation
	o.linkRequested = ptr.Deref(sub.Spec.PaymentLink, false)
	for _, c := range []metav1.Condition{syncedCondition(o), stalledCondition(o), readyCondition(&sub.Status, o)} {
		c.ObservedGeneration = gen
		meta.SetStatusCondition(&sub.Status.Conditions, c)
	}
	if sub.Status.ProviderStatus != "" {
		providerstate.SetProviderConditions(&sub.Status, gen)
	}
}

// credentialsMessage explains a refused API key; nothing was done in Dodo.
const credentialsMessage = "Dodo refused the operator's API key (HTTP 401/403); nothing was done. Check the key " +
	"(DODO_PAYMENTS_API_KEY) and that its mode (test or live) matches the operator's base URL."

func syncedCondition(o findings) metav1.Condition {
	switch {
	case o.paused:
		return metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonPaused,
			Message: "Reconciliation is paused by the billing.dodo-operator.io/paused annotation; no calls are made to Dodo."}
	case o.accountWait != nil:
		return metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
			Reason: o.accountWait.Reason, Message: o.accountWait.Message}
	case dodo.IsUnauthorized(o.err):
		return metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
			Reason: billingv1alpha1.ReasonCredentialsInvalid, Message: credentialsMessageOf(o.account)}
	case o.err != nil:
		return metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse,
			Reason: billingv1alpha1.ReasonReconcileError, Message: o.err.Error()}
	}
	return metav1.Condition{Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionTrue,
		Reason: billingv1alpha1.ReasonReconcileSuccess, Message: "The last reconcile against Dodo succeeded."}
}

func stalledCondition(o findings) metav1.Condition {
	return conditions.Stalled(o.stalled)
}

func readyCondition(status *billingv1alpha1.SubscriptionStatus, o findings) metav1.Condition {
	notReady := func(reason, message string) metav1.Condition {
		return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message}
	}
	switch {
	case o.deleting:
		return notReady(billingv1alpha1.ReasonDeleting, "The Subscription is being deleted; its deletionPolicy is applied in Dodo.")
	case o.stalled != nil:
		return notReady(o.stalled.Reason, o.stalled.Message)
	case status.SubscriptionID == "" && o.accountWait != nil:
		return notReady(o.accountWait.Reason, o.accountWait.Message)
	case status.SubscriptionID == "":
		return notReady(billingv1alpha1.ReasonCreating, "The subscription is being created in Dodo.")
	}
	switch dodo.SubscriptionStatus(status.ProviderStatus) {
	case dodo.SubscriptionStatusActive:
		if o.planPending {
			return notReady(reasonPlanChangePending, "A plan change was sent to Dodo and is not applied yet.")
		}
		return metav1.Condition{Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionTrue,
			Reason: billingv1alpha1.ReasonAvailable, Message: "The subscription is active in Dodo."}
	case dodo.SubscriptionStatusPending:
		if status.PaymentLink != "" {
			return notReady(billingv1alpha1.ReasonAwaitingPayment,
				"Waiting for the customer to complete the payment link in status.paymentLink.")
		}
		if o.linkRequested {
			return notReady(paymentLinkCondition(status))
		}
		return notReady(reasonPending, "Dodo has not activated the subscription yet.")
	case dodo.SubscriptionStatusOnHold:
		c := providerstate.ProviderConditions(status.ProviderStatus, status.LastPayment)[1]
		return notReady(c.Reason, c.Message)
	}
	return notReady(providerstate.ReasonFromCode(status.ProviderStatus), "Dodo reports the subscription "+status.ProviderStatus+".")
}
