package subscription

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// applyDrift sends the writes that bring Dodo to the spec; none when nothing drifted.
func (r *Reconciler) applyDrift(ctx context.Context, s *scope, observed *dodo.Subscription) error {
	if err := r.applyPlan(ctx, s, observed); err != nil || s.out.stalled != nil {
		return err
	}
	if req := fieldUpdate(s.sub, observed); req != nil {
		updated, err := s.api.UpdateSubscription(ctx, observed.SubscriptionID, *req)
		if err != nil {
			return r.writeFailed(s, "Update", "updating the subscription", err)
		}
		providerstate.MirrorSubscription(&s.sub.Status, updated)
		r.event(s.sub, corev1.EventTypeNormal, "Updated", "Update", "Updated metadata, billing, tax ID or scheduled cancellation")
	}
	return r.applyPaymentMethod(ctx, s, observed)
}

// applyPlan sends one change-plan call per requested plan. It is never repeated for the
// same plan (a change-plan can charge), and the outcome shows in the next read.
func (r *Reconciler) applyPlan(ctx context.Context, s *scope, observed *dodo.Subscription) error {
	st := &s.sub.Status
	if planMatches(&s.sub.Spec, observed.ProductID, observed.Quantity, observed.Addons) {
		st.LastPlanChangeRequest = nil
		return nil
	}
	r.reviewSentPlan(s, observed)
	req := planChange(s.sub, observed)
	if req == nil {
		s.out.planPending = st.LastPlanChangeRequest != nil
		return nil
	}
	switch {
	case observed.OnDemand:
		s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonChangeRefused,
			Message: "Dodo does not change the plan of an on-demand subscription " +
				"(ON_DEMAND_PLAN_CHANGE_NOT_SUPPORTED): set productID, quantity and addons back to " +
				fmt.Sprintf("%s x%d, or create a new Subscription.", observed.ProductID, observed.Quantity)}
		return nil
	case observed.Status != dodo.SubscriptionStatusActive:
		s.out.planPending = true
		return nil // Dodo changes plans of active subscriptions only; retried after the next read
	}
	// The marker is stored before the call: if anything fails after Dodo took it, the
	// next reconcile sees it and never sends the same plan again.
	previous := st.LastPlanChangeRequest
	st.LastPlanChangeRequest = &billingv1alpha1.PlanRequest{ProductID: s.sub.Spec.ProductID, Quantity: s.sub.Spec.Quantity,
		Addons: s.sub.Spec.Addons, RequestedAt: metav1.NewTime(s.now)}
	if err := r.storeIntent(ctx, s); err != nil {
		st.LastPlanChangeRequest = previous // not sent
		return err
	}
	_, err := s.api.ChangePlan(ctx, observed.SubscriptionID, *req)
	if err != nil && !dodo.IsOutcomeUnknown(err) {
		st.LastPlanChangeRequest = previous // Dodo surely did not apply it
		return r.writeFailed(s, "ChangePlan", "changing the plan", err)
	}
	s.out.planPending = true
	if err != nil {
		r.event(s.sub, corev1.EventTypeWarning, "PlanChangeOutcomeUnknown", "ChangePlan",
			"The change-plan answer was lost (%v); it is not sent again, the next read shows whether it applied", err)
		return nil
	}
	r.event(s.sub, corev1.EventTypeNormal, "PlanChanged", "ChangePlan", "Requested plan %s x%d (%s, effective %s)",
		req.ProductID, req.Quantity, req.ProrationBillingMode, effectiveAt(req.EffectiveAt))
	return nil
}

// applyPaymentMethod sends each requested payment-method change once. On an on_hold
// subscription the call charges the dues, so a repeat could charge twice.
func (r *Reconciler) applyPaymentMethod(ctx context.Context, s *scope, observed *dodo.Subscription) error {
	st := &s.sub.Status
	if s.sub.Spec.PaymentMethod == nil {
		st.LastPaymentMethodRequest = ""
		return nil
	}
	req, key := paymentMethodRequest(s.sub, observed)
	if req == nil {
		return nil
	}
	if observed.Status != dodo.SubscriptionStatusActive && observed.Status != dodo.SubscriptionStatusOnHold {
		return nil // Dodo takes payment-method changes on active and on_hold subscriptions
	}
	// Stored before the call: on an on_hold subscription the call charges the dues, and
	// Dodo does not refuse a second one while the first payment is open.
	// The link in status (the creation link, or an earlier request's) stops being the one
	// to pay the moment this request is made: it goes with the intent, so status never
	// shows an old link under the new request.
	previous, previousLink, previousExpiry := st.LastPaymentMethodRequest, st.PaymentLink, st.PaymentLinkExpiresAt
	restore := func() {
		st.LastPaymentMethodRequest, st.PaymentLink, st.PaymentLinkExpiresAt = previous, previousLink, previousExpiry
	}
	st.LastPaymentMethodRequest, st.PaymentLink, st.PaymentLinkExpiresAt = key, "", nil
	if err := r.storeIntent(ctx, s); err != nil {
		restore() // not sent
		return err
	}
	resp, err := s.api.UpdatePaymentMethod(ctx, observed.SubscriptionID, *req)
	if err != nil && !dodo.IsOutcomeUnknown(err) {
		restore() // Dodo surely did not take it
		return r.writeFailed(s, "UpdatePaymentMethod", "updating the payment method", err)
	}
	if err != nil {
		r.event(s.sub, corev1.EventTypeWarning, "PaymentMethodOutcomeUnknown", "UpdatePaymentMethod",
			"The update-payment-method answer was lost (%v); it is not sent again", err)
		return nil
	}
	if resp.PaymentLink != nil {
		st.PaymentLink, st.PaymentLinkExpiresAt = *resp.PaymentLink, timeOrNil(resp.ExpiresOn)
	}
	note := "Switched to saved payment method " + s.sub.Spec.PaymentMethod.ExistingID
	if s.sub.Spec.PaymentMethod.New != nil {
		note = "Requested a link for a new payment method (status.paymentLink)"
	}
	if observed.Status == dodo.SubscriptionStatusOnHold {
		note += "; Dodo charges the dues to reactivate the subscription"
	}
	r.event(s.sub, corev1.EventTypeNormal, "PaymentMethodUpdated", "UpdatePaymentMethod", "%s", note)
	return nil
}

// storeIntent writes status, with the marker of the call about to be made, with
// optimistic concurrency: a stale copy fails and no call is made. The end-of-reconcile
// write then starts from the stored copy.
func (r *Reconciler) storeIntent(ctx context.Context, s *scope) error {
	if err := r.Status().Update(ctx, s.sub); err != nil {
		return fmt.Errorf("storing the intent before calling Dodo: %w", err)
	}
	s.before = s.sub.DeepCopy()
	return nil
}

// writeFailed turns a refused write into a stall (the spec must change) and anything else
// into an error that is retried with backoff.
func (r *Reconciler) writeFailed(s *scope, action, what string, err error) error {
	if dodo.IsValidation(err) {
		s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonChangeRefused,
			Message: "Dodo refused " + what + ": " + err.Error() + ". Change the spec to continue."}
		r.event(s.sub, corev1.EventTypeWarning, billingv1alpha1.ReasonChangeRefused, action, "Dodo refused %s: %v", what, err)
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func effectiveAt(e dodo.EffectiveAt) string {
	if e == "" {
		return "immediately"
	}
	return string(e)
}
