package providerstate

import (
	corev1 "k8s.io/api/core/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Event is what to tell people, as a Kubernetes Event, when Dodo's status of a
// subscription changes. Notification tools route on Type and Reason.
type Event struct {
	Type, Reason, Note string
}

// TransitionEvent is the Event for a change of Dodo's status from one value to another,
// or false when the change is not worth one. Whichever process stores the change (the
// webhook receiver, or the controller on a read) emits it, so each change is told once.
func TransitionEvent(from, to string, lastPayment *billingv1alpha1.PaymentSummary) (Event, bool) {
	if from == to || to == "" {
		return Event{}, false
	}
	switch dodo.SubscriptionStatus(to) {
	case dodo.SubscriptionStatusOnHold:
		return Event{corev1.EventTypeWarning, "SubscriptionOnHold", "Dodo put the subscription on hold: a payment failed" +
			declineDetail(lastPayment) + ". Set spec.paymentMethod to charge the dues and reactivate it."}, true
	case dodo.SubscriptionStatusFailed:
		return Event{corev1.EventTypeWarning, "SubscriptionFailed", "The first payment or mandate failed" +
			declineDetail(lastPayment) + "; the subscription is terminal."}, true
	case dodo.SubscriptionStatusActive:
		if from == string(dodo.SubscriptionStatusOnHold) {
			return Event{corev1.EventTypeNormal, "SubscriptionReactivated", "The dues were paid; the subscription is active again."}, true
		}
		if from == "" {
			// The first sight of a subscription active at once: the Created (or Adopting,
			// Found) Event already tells it, and a second Event per new subscription is an
			// API-server write for nothing (issue 17).
			return Event{}, false
		}
		return Event{corev1.EventTypeNormal, "SubscriptionActive", "Dodo reports the subscription active."}, true
	case dodo.SubscriptionStatusCancelled, dodo.SubscriptionStatusExpired:
		return Event{corev1.EventTypeNormal, "Subscription" + ReasonFromCode(to), "Dodo reports the subscription " + to + "."}, true
	}
	return Event{}, false
}
