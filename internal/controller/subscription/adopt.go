package subscription

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// adopt records spec.adopt's subscription as the managed one only once this object has
// proven it may manage it: status.subscriptionID is what deletion, the webhook receiver
// and OnDemandCharges act on, so a refused adoption must never reach it.
func (r *Reconciler) adopt(ctx context.Context, s *scope, id string) (string, ctrl.Result, error) {
	observed, err := s.api.GetSubscription(ctx, id)
	if dodo.IsNotFound(err) {
		s.out.stalled = notFoundStall(id)
		return "", ctrl.Result{}, nil
	}
	if err != nil {
		return "", ctrl.Result{}, fmt.Errorf("reading subscription %s before adopting it: %w", id, err)
	}
	if refusal := r.adoptionRefusal(ctx, s.sub, observed); refusal != "" {
		s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonAdoptionRefused, Message: refusal}
		r.event(s.sub, corev1.EventTypeWarning, billingv1alpha1.ReasonAdoptionRefused, "Adopt", "%s", refusal)
		return "", ctrl.Result{}, nil
	}
	s.sub.Status.SubscriptionID, s.sub.Status.CreatePendingSince = id, nil
	r.event(s.sub, corev1.EventTypeNormal, "Adopting", "Adopt", "Adopting Dodo subscription %s", id)
	return id, ctrl.Result{}, nil
}

// refuseObserved handles a subscription found to belong to another object after it was
// recorded (an object written by an older operator, or a stamp changed in Dodo): an
// adopted ID is dropped so nothing acts on it; a created one is kept but stalled, since
// dropping it would let the next reconcile create a second subscription.
func refuseObserved(s *scope, refusal string) {
	st := &s.sub.Status
	if adopt := s.sub.Spec.Adopt; adopt != nil && adopt.SubscriptionID == st.SubscriptionID {
		st.SubscriptionID, st.ProviderStatus = "", ""
	}
	s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonAdoptionRefused, Message: refusal}
}

func notFoundStall(id string) *conditions.Why {
	return &conditions.Why{Reason: billingv1alpha1.ReasonNotFoundInDodo,
		Message: fmt.Sprintf("Dodo has no subscription %s. Check that the operator uses the "+
			"right mode (test or live) and API key, and that spec.adopt names an existing subscription.", id)}
}
