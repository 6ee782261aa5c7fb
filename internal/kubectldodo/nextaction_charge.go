package kubectldodo

import (
	"fmt"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// ChargeAction is the one next action for an OnDemandCharge, from its annotations,
// conditions and status alone: what blocks everything, then the end of the charge, then a
// stall, then a failing reconcile, then why it waits.
func ChargeAction(charge *billingv1alpha1.OnDemandCharge, now time.Time) Action {
	st := &charge.Status
	if a, ok := commonAction(charge, st.Conditions, kindCharge); ok {
		return a
	}
	switch st.Phase {
	case billingv1alpha1.ChargePhaseSucceeded:
		return Action{Kind: ActionNone, Text: "The amount was charged."}
	case billingv1alpha1.ChargePhaseFailed:
		return Action{Kind: ActionNone, Text: "No further attempt will be made (see the Failed message). Tell the " +
			"customer; to charge again after they fix the payment method, create a new OnDemandCharge with a new " +
			"name or chargeKey."}
	}
	if c, stalled := isTrue(st.Conditions, billingv1alpha1.ConditionStalled); stalled {
		return chargeStallAction(charge, c.Reason)
	}
	if a, ok := syncErrorAction(st.Conditions, kindCharge, charge.Name); ok {
		return a
	}
	return chargeWaitAction(charge, now)
}

func chargeStallAction(charge *billingv1alpha1.OnDemandCharge, reason string) Action {
	st := &charge.Status
	n := int32(0)
	if len(st.Attempts) > 0 {
		n = st.Attempts[len(st.Attempts)-1].Number
	}
	switch reason {
	case billingv1alpha1.ReasonPaymentOutcomeUnknown:
		return Action{Kind: ActionPerson, Text: fmt.Sprintf("Attempt %d's outcome is unknown. In Dodo's dashboard, check "+
			"the payments of subscription %s with metadata k8s_charge_key=%s and retry_attempt=%d, then record what "+
			"you found. No charge is made meanwhile; never re-create the charge with a new key before you know.",
			n, st.SubscriptionID, st.ChargeKey, n-1),
			Command: fmt.Sprintf("kubectl dodo resolve charge %s --payment pay_... (or --no-payment)", charge.Name)}
	case billingv1alpha1.ReasonDeclineNotRetryable:
		return Action{Kind: ActionPerson, Text: fmt.Sprintf("Attempt %d was declined with a code that is not retried "+
			"by itself. Contact the customer; once the payment method is fixed, allow one more attempt, or delete "+
			"the charge.", n), Command: fmt.Sprintf("kubectl annotate odc %s %s=%d", charge.Name, billingv1alpha1.AnnotationAllowRetry, n)}
	case billingv1alpha1.ReasonDuesPaymentUnclear:
		return Action{Kind: ActionPerson, Text: "A succeeded payment may have paid this charge's dues (see the Ready " +
			"message). Check it in Dodo: if it did not pay this charge, allow the next attempt; if it did, delete " +
			"the charge.", Command: fmt.Sprintf("kubectl annotate odc %s %s=%d", charge.Name, billingv1alpha1.AnnotationAllowRetry, n)}
	case billingv1alpha1.ReasonSubscriptionChanged:
		return Action{Kind: ActionPerson, Text: "The Subscription now manages another Dodo subscription than the one " +
			"earlier attempts charged; a charge never moves. Delete this charge and create a new one."}
	}
	return Action{Kind: ActionPerson, Text: "The operator waits for a person (Stalled " + reason + "); the Stalled " +
		"message says what to do."}
}

func chargeWaitAction(charge *billingv1alpha1.OnDemandCharge, now time.Time) Action {
	st := &charge.Status
	reason, message := "", ""
	if c := condition(st.Conditions, billingv1alpha1.ConditionReady); c != nil {
		reason, message = c.Reason, c.Message
	}
	switch {
	case st.Phase == billingv1alpha1.ChargePhaseRetryScheduled && st.NextAttemptAt != nil:
		return Action{Kind: ActionPerson, Text: "Tell the customer before the next attempt, " +
			formatTime(st.NextAttemptAt.Time, now) + ", as the on-demand guide asks; the operator makes it by itself."}
	case reason == billingv1alpha1.ReasonAwaitingCustomerAction:
		return Action{Kind: ActionPerson, Text: "The payment waits for the customer (3-D Secure or similar): ask them " +
			"to complete it. It is never charged again meanwhile."}
	case reason == billingv1alpha1.ReasonSubscriptionCancelling:
		name := charge.Spec.SubscriptionRef.Name
		return Action{Kind: ActionPerson, Text: "Dodo refuses charges on a subscription set to cancel at the end of " +
			"its period. Lift the cancellation to let the charge start, or delete the charge.",
			Command: fmt.Sprintf(`kubectl patch dsub %s --type merge -p '{"spec":{"cancelAtNextBillingDate":false}}'`, name)}
	case reason == billingv1alpha1.ReasonSubscriptionNotFound:
		return Action{Kind: ActionPerson, Text: "Subscription " + charge.Spec.SubscriptionRef.Name + " does not " +
			"exist in this namespace; create it (the charge waits a bounded time), or delete the charge."}
	case st.Phase == billingv1alpha1.ChargePhaseCharging:
		return Action{Kind: ActionWait, Text: "An attempt is in flight; its outcome arrives by webhook or a read of the payment."}
	case reason == "" || reason == billingv1alpha1.ReasonPending:
		return Action{Kind: ActionWait, Text: "The operator has not started the charge yet."}
	}
	return Action{Kind: ActionWait, Text: "The charge waits (" + reason + "): " + message}
}
