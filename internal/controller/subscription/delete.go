package subscription

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// reconcileDelete applies the deletion policy in Dodo, then lets the object go.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	s.out.deleting = true
	if !controllerutil.ContainsFinalizer(s.sub, Finalizer) {
		s.skipStatus = true
		return ctrl.Result{}, nil
	}
	done, wait, err := r.applyDeletionPolicy(ctx, s)
	if err != nil || !done {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	controllerutil.RemoveFinalizer(s.sub, Finalizer)
	s.skipStatus = true // the object is going away
	return ctrl.Result{}, r.patchFinalizers(ctx, s)
}

// applyDeletionPolicy reports done when nothing (more) has to happen in Dodo. It never
// blocks on a subscription that vanished or is already over, and never writes to one this
// object does not own. wait > 0 asks to come back: a create's outcome is still unknown.
func (r *Reconciler) applyDeletionPolicy(ctx context.Context, s *scope) (bool, time.Duration, error) {
	policy := s.sub.Spec.DeletionPolicy
	if policy == "" {
		policy = defaultDeletionPolicy
	}
	if policy == billingv1alpha1.DeletionPolicyOrphan || s.sub.Spec.ManagementPolicy == billingv1alpha1.ManagementPolicyObserveOnly {
		return true, 0, nil
	}
	id, wait, err := r.deletionTarget(ctx, s)
	if id == "" || err != nil {
		return id == "" && wait == 0 && err == nil && s.out.stalled == nil, wait, err
	}
	observed, err := s.api.GetSubscription(ctx, id)
	switch {
	case dodo.IsNotFound(err):
		return true, 0, nil
	case err != nil:
		return false, 0, fmt.Errorf("reading subscription %s before deletion: %w", id, err)
	case observed.Status.IsTerminal():
		return true, 0, nil
	}
	if refusal := r.adoptionRefusal(ctx, s.sub, observed); refusal != "" {
		r.event(s.sub, corev1.EventTypeWarning, "DeletionPolicySkipped", "Delete",
			"deletionPolicy %s not applied: %s", policy, refusal)
		return true, 0, nil
	}
	req := dodo.UpdateSubscriptionRequest{CancelAtNextBillingDate: ptr.To(true)}
	note := "Scheduled cancellation of %s at the end of the period (deletionPolicy CancelAtPeriodEnd)"
	if policy == billingv1alpha1.DeletionPolicyCancel {
		req = dodo.UpdateSubscriptionRequest{Status: ptr.To(dodo.SubscriptionStatusCancelled)}
		note = "Cancelled %s (deletionPolicy Cancel)"
	} else if observed.CancelAtNextBillingDate {
		return true, 0, nil
	}
	if _, err := s.api.UpdateSubscription(ctx, id, req); err != nil {
		return false, 0, fmt.Errorf("applying deletionPolicy %s to %s: %w", policy, id, err)
	}
	r.event(s.sub, corev1.EventTypeNormal, "DeletionPolicyApplied", "Delete", note, id)
	return true, 0, nil
}

// deletionTarget is the subscription to apply the policy to. A create whose outcome is
// unknown is looked up first, with the same settle and absence waits as a normal
// reconcile, so deletion does not let go while Dodo may still show the subscription.
func (r *Reconciler) deletionTarget(ctx context.Context, s *scope) (string, time.Duration, error) {
	st := &s.sub.Status
	if st.SubscriptionID != "" || st.CreatePendingSince == nil {
		return st.SubscriptionID, 0, nil
	}
	id, wait, err := r.lookupPendingCreate(ctx, s)
	switch {
	case err != nil:
		return "", 0, fmt.Errorf("before deletion: %w", err)
	case s.out.stalled != nil:
		s.out.stalled.Message += " To let the object go without looking, set spec.deletionPolicy to Orphan."
	case wait > 0:
		s.out.err = errCreateOutcomeUnknown
	case id != "":
		st.SubscriptionID, st.CreatePendingSince = id, nil
	}
	return id, wait, nil
}
