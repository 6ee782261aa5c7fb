package ondemandcharge

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
)

// reconcileDelete never cancels money silently: with an attempt in flight it waits (up to
// DeletionWait) for the outcome, so the charge's history is complete in events and, for a
// re-created charge of the same key, in Dodo's payments. Then it lets the object go.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	s.out.deleting = true
	if !controllerutil.ContainsFinalizer(s.charge, Finalizer) {
		s.skipStatus = true
		return ctrl.Result{}, nil
	}
	last := lastAttempt(&s.charge.Status)
	if last != nil && last.Outcome == billingv1alpha1.AttemptPending {
		if s.now.Before(last.StartedAt.Add(r.Options.DeletionWait)) {
			return r.resolvePendingInItsAccount(ctx, s, last)
		}
		r.event(s.charge, corev1.EventTypeWarning, "DeletedInFlight", "Delete",
			"Deleted with attempt %d still in flight (payment %q) after waiting %s; check its outcome in Dodo",
			last.Number, last.PaymentID, r.Options.DeletionWait)
	}
	if len(s.charge.Status.Attempts) > 0 {
		r.deletedKeys.Store(s.charge.Namespace+"/"+chargestate.KeyOf(s.charge), s.now)
	}
	r.capacityOrInit().release(client.ObjectKeyFromObject(s.charge))
	controllerutil.RemoveFinalizer(s.charge, Finalizer)
	s.skipStatus = true
	return ctrl.Result{}, r.patchFinalizers(ctx, s)
}
