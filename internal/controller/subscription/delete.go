package subscription

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// reconcileDelete applies the deletion policy in Dodo, then lets the object go.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	s.out.deleting = true
	if !controllerutil.ContainsFinalizer(s.sub, Finalizer) {
		s.skipStatus = true
		return ctrl.Result{}, nil
	}
	done, err := r.applyDeletionPolicy(ctx, s)
	if err != nil || !done {
		return ctrl.Result{}, err
	}
	controllerutil.RemoveFinalizer(s.sub, Finalizer)
	s.skipStatus = true // the object is going away
	return ctrl.Result{}, r.patchFinalizers(ctx, s)
}

// applyDeletionPolicy reports done when nothing (more) has to happen in Dodo. It never
// blocks on a subscription that vanished or is already over.
func (r *Reconciler) applyDeletionPolicy(ctx context.Context, s *scope) (bool, error) {
	policy := s.sub.Spec.DeletionPolicy
	if policy == "" {
		policy = defaultDeletionPolicy
	}
	if policy == billingv1alpha1.DeletionPolicyOrphan || s.sub.Spec.ManagementPolicy == billingv1alpha1.ManagementPolicyObserveOnly {
		return true, nil
	}
	id, err := r.deletionTarget(ctx, s)
	if id == "" || err != nil {
		return id == "" && err == nil && s.out.stalled == nil, err
	}
	observed, err := s.api.GetSubscription(ctx, id)
	switch {
	case dodo.IsNotFound(err):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("reading subscription %s before deletion: %w", id, err)
	case providerstate.IsTerminal(string(observed.Status)):
		return true, nil
	}
	req := dodo.UpdateSubscriptionRequest{CancelAtNextBillingDate: dodo.Ptr(true)}
	note := "Scheduled cancellation of %s at the end of the period (deletionPolicy CancelAtPeriodEnd)"
	if policy == billingv1alpha1.DeletionPolicyCancel {
		req = dodo.UpdateSubscriptionRequest{Status: dodo.Ptr(dodo.SubscriptionStatusCancelled)}
		note = "Cancelled %s (deletionPolicy Cancel)"
	} else if observed.CancelAtNextBillingDate {
		return true, nil
	}
	if _, err := s.api.UpdateSubscription(ctx, id, req); err != nil {
		return false, fmt.Errorf("applying deletionPolicy %s to %s: %w", policy, id, err)
	}
	r.event(s.sub, corev1.EventTypeNormal, "DeletionPolicyApplied", "Delete", note, id)
	return true, nil
}

// deletionTarget is the subscription to apply the policy to. A create whose outcome is
// unknown is looked up first, so deletion does not leave a paying subscription behind.
func (r *Reconciler) deletionTarget(ctx context.Context, s *scope) (string, error) {
	st := &s.sub.Status
	if st.SubscriptionID != "" {
		return st.SubscriptionID, nil
	}
	if st.CreatePendingSince == nil {
		return "", nil
	}
	matches, err := r.findCreated(ctx, s)
	switch {
	case errors.Is(err, dodo.ErrTooManyPages) || len(matches) > 1:
		s.out.stalled = r.createUnknownStall(s, matches, err)
		s.out.stalled.message += " To let the object go without looking, set spec.deletionPolicy to Orphan."
		return "", nil
	case err != nil:
		return "", fmt.Errorf("looking up a possibly created subscription before deletion: %w", err)
	case len(matches) == 1:
		st.SubscriptionID = matches[0]
		return matches[0], nil
	}
	return "", nil
}
