package kubectldodo

import (
	"fmt"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Dodo's subscription statuses (internal/dodo), as status.providerStatus holds them.
const (
	providerPending   = "pending"
	providerActive    = "active"
	providerOnHold    = "on_hold"
	providerFailed    = "failed"
	providerCancelled = "cancelled"
	providerExpired   = "expired"
)

// SubscriptionAction is the one next action for a Subscription, from its annotations,
// conditions and status alone (no calls), in the order that matters: what blocks everything
// (deletion, pause, credentials), then a stall (a person must act), then a failing
// reconcile, then Dodo's state.
func SubscriptionAction(sub *billingv1alpha1.Subscription, now time.Time) Action {
	conds := sub.Status.Conditions
	if a, ok := commonAction(sub, conds, kindSubscription); ok {
		return a
	}
	if c, stalled := isTrue(conds, billingv1alpha1.ConditionStalled); stalled {
		return subscriptionStallAction(sub, c.Reason)
	}
	st := &sub.Status
	if st.SubscriptionID == "" && st.CreatePendingSince != nil {
		return Action{Kind: ActionWait, Text: "A create call's answer was lost; the operator looks the subscription up " +
			"by its metadata before any new attempt, and creates nothing meanwhile. Do not delete and re-create " +
			"the object: that could create a second subscription."}
	}
	if a, ok := syncErrorAction(conds, kindSubscription, sub.Name); ok {
		return a
	}
	return subscriptionStateAction(sub, now)
}

func subscriptionStallAction(sub *billingv1alpha1.Subscription, reason string) Action {
	switch reason {
	case billingv1alpha1.ReasonCreateOutcomeUnknown:
		return Action{Kind: ActionPerson, Text: "A create's outcome is unknown. In Dodo's dashboard, find subscriptions " +
			"with metadata k8s_uid=" + string(sub.UID) + ". Adopt the one to keep (cancel any extra one in Dodo), or, " +
			"if there is none, let the operator look again. Never delete and re-create this object.",
			Command: fmt.Sprintf("kubectl dodo resolve subscription %s --adopt sub_... (or --retry-lookup)", sub.Name)}
	case billingv1alpha1.ReasonAdoptionRefused:
		return Action{Kind: ActionPerson, Text: "The adoption was refused (see the Ready message): spec.adopt names a " +
			"subscription another object manages, or this object already manages another one. Fix spec.adopt."}
	case billingv1alpha1.ReasonNotFoundInDodo:
		return Action{Kind: ActionPerson, Text: "Dodo has no subscription " + sub.Status.SubscriptionID + " for the " +
			"operator's API key: check the operator's mode (test or live) and key, or adopt the right ID."}
	case billingv1alpha1.ReasonInvalidSpec, billingv1alpha1.ReasonChangeRefused:
		return Action{Kind: ActionPerson, Text: "Dodo refused the spec (the Ready message holds its answer). Change the " +
			"spec to something Dodo accepts; the new generation is tried again.",
			Command: "kubectl edit dsub " + sub.Name}
	}
	return Action{Kind: ActionPerson, Text: "The operator waits for a person (Stalled " + reason + "); the Stalled " +
		"message says what to do. After acting, request a reconcile.",
		Command: "kubectl dodo refresh subscription " + sub.Name}
}

func subscriptionStateAction(sub *billingv1alpha1.Subscription, now time.Time) Action {
	st := &sub.Status
	ready := condition(st.Conditions, billingv1alpha1.ConditionReady)
	reason := ""
	if ready != nil {
		reason = ready.Reason
	}
	switch {
	case st.SubscriptionID == "":
		return Action{Kind: ActionWait, Text: "The operator is creating the subscription in Dodo."}
	case st.ProviderStatus == providerOnHold:
		return onHoldAction(sub, now)
	case reason == billingv1alpha1.ReasonAwaitingPayment:
		return Action{Kind: ActionPerson, Text: "Send the customer the payment link; the subscription starts when it is paid.",
			Command: "kubectl dodo link " + sub.Name}
	case reason == billingv1alpha1.ReasonPaymentLinkExpired:
		return Action{Kind: ActionPerson, Text: "The payment link expired before the customer paid, and Dodo ends the " +
			"subscription as failed. Delete this object and create it again for a new link."}
	case reason == billingv1alpha1.ReasonPaymentLinkUnavailable:
		return Action{Kind: ActionWait, Text: "The payment link is not known yet (the create's answer was lost); the " +
			"operator looks for it at each read. It is also on the subscription in Dodo's dashboard.",
			Command: "kubectl dodo refresh subscription " + sub.Name}
	case reason == billingv1alpha1.ReasonPlanChangeNotApplied && st.LastPlanChangeRequest != nil:
		sent := st.LastPlanChangeRequest.RequestedAt.UTC().Format(time.RFC3339)
		return Action{Kind: ActionPerson, Text: "The plan change sent at " + sent + " shows in Dodo neither applied nor " +
			"scheduled. Check the subscription in Dodo's dashboard; if the change is not there, send it once more.",
			Command: "kubectl annotate subscription " + sub.Name + " " + billingv1alpha1.AnnotationResendPlanChange + "=" + sent}
	case reason == billingv1alpha1.ReasonPlanChangePending:
		return Action{Kind: ActionWait, Text: "A plan change was sent and Dodo has not applied it yet; the operator checks " +
			"again shortly."}
	}
	return providerAction(sub, now)
}

// onHoldAction: Dodo holds the subscription after a failed renewal; a payment-method change
// charges the dues (docs/money-safety.md), and it is sent once per request.
func onHoldAction(sub *billingv1alpha1.Subscription, now time.Time) Action {
	st := &sub.Status
	pm := sub.Spec.PaymentMethod
	switch {
	case pm != nil && pm.New != nil && st.PaymentLink != "" && linkInUse(sub) &&
		(st.PaymentLinkExpiresAt == nil || now.Before(st.PaymentLinkExpiresAt.Time)):
		return Action{Kind: ActionPerson, Text: "Send the customer the link to add a payment method; Dodo charges the " +
			"dues with it and reactivates the subscription.", Command: "kubectl dodo link " + sub.Name}
	case pm != nil && st.LastPaymentMethodRequest != "" && pm.New == nil:
		return Action{Kind: ActionWait, Text: "The payment method was changed (" + st.LastPaymentMethodRequest + ") and " +
			"Dodo is charging the dues with it. If that payment fails too, contact the customer for another method."}
	}
	return Action{Kind: ActionPerson, Text: "Contact the customer, then set spec.paymentMethod (a saved method, or a " +
		"new one through a link) to charge the dues and reactivate the subscription.",
		Command: fmt.Sprintf(`kubectl patch dsub %s --type merge -p '{"spec":{"paymentMethod":{"existingID":"pm_..."}}}'`,
			sub.Name)}
}

func providerAction(sub *billingv1alpha1.Subscription, now time.Time) Action {
	st := &sub.Status
	switch st.ProviderStatus {
	case providerActive:
		if st.CancelAtNextBillingDate && st.NextBillingDate != nil {
			return Action{Kind: ActionNone, Text: "Active; Dodo cancels it at the end of the period, " +
				formatTime(st.NextBillingDate.Time, now) + ". Set spec.cancelAtNextBillingDate: false to keep it."}
		}
		return Action{Kind: ActionNone, Text: "The subscription is active and in sync."}
	case providerPending:
		return Action{Kind: ActionWait, Text: "Dodo has not activated the subscription yet (the customer's payment or " +
			"mandate is being processed)."}
	case providerFailed:
		return Action{Kind: ActionNone, Text: "The first payment or mandate failed; the subscription is terminal. Create " +
			"a new Subscription to try again."}
	case providerCancelled, providerExpired:
		return Action{Kind: ActionNone, Text: "The subscription is " + st.ProviderStatus + " in Dodo; nothing more " +
			"happens to it. Delete the object when it is no longer needed."}
	}
	return Action{Kind: ActionWait, Text: "Dodo reports the subscription " + st.ProviderStatus + "; see the Ready " +
		"condition's message."}
}
