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
	// planNotApplied: a read found the recorded change-plan neither applied nor scheduled
	// (reviewSentPlan); nil when this reconcile did not look, and status says.
	planNotApplied *bool
	// linkRequested: spec asks for a payment link (set by setConditions from spec).
	linkRequested bool
	// account is the account used (zero: the operator's own); accountWait says why it
	// cannot be used now.
	account     accounts.Key
	accountWait *conditions.Why
}

// setConditions writes Ready, Synced and Stalled for the outcome. Active, OnHold and
// Failed come from providerstate, which the webhook receiver shares.
func setConditions(sub *billingv1alpha1.Subscription, o findings) {
	gen := sub.Generation
	o.linkRequested = ptr.Deref(sub.Spec.PaymentLink, false)
	// What the object records counts whatever path this reconcile took, exactly as the
	// webhook receiver reads it (providerstate.ReadyInputsOf): both then compute the same
	// Ready, and the reconcile after a receiver's write writes nothing.
	recorded := providerstate.ReadyInputsOf(sub)
	o.deleting = o.deleting || recorded.Deleting
	o.planPending = o.planPending || recorded.PlanPending
	if o.planNotApplied == nil {
		o.planNotApplied = &recorded.PlanNotApplied
	}
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
	return providerstate.ReadyCondition(status, providerstate.ReadyInputs{Deleting: o.deleting, Stalled: o.stalled,
		AccountWait: o.accountWait, PlanPending: o.planPending, PlanNotApplied: o.planNotApplied != nil && *o.planNotApplied,
		LinkRequested: o.linkRequested})
}
