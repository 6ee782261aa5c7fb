package subscription

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// reconcileNormal: make sure the subscription exists, read it when due, then (when
// managed and not terminal) send the writes that remove drift.
func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	if st := currentStall(s.sub); st != nil {
		// A stall waits for a spec change or an explicit reconcile request.
		s.out.stalled = st
		return ctrl.Result{}, nil
	}
	if s.sub.Status.SubscriptionID == "" && !r.enterAccount(s) {
		return r.accountBusy(s)
	}
	id, result, err := r.ensureExists(ctx, s)
	if id == "" || err != nil {
		return result, err
	}
	interval := resyncInterval(s.sub, r.Options.ResyncInterval)
	nn := types.NamespacedName{Namespace: s.sub.Namespace, Name: s.sub.Name}
	r.observed.note(nn, r.lastObserved(s.sub)) // after a restart: what status says
	if due, wait := readDue(withLastObserved(s.sub, r.lastObserved(s.sub)), s.now, interval); !due {
		s.out.planPending = s.sub.Status.LastPlanChangeRequest != nil
		if wait < 0 {
			r.observed.forget(nn)     // not read any more: not in the observation age
			return ctrl.Result{}, nil // over for good: read again only when asked
		}
		return resyncAfter(&s.sub.Status, wait), nil
	}
	r.warnIfBehind(s, interval)
	if result, done := r.observeInBulk(s, id, interval); done {
		return result, nil
	}
	if !r.enterAccount(s) { // the slot is taken only now: a resync served in bulk makes no call
		return r.accountBusy(s)
	}
	observed, err := r.observe(dodo.WithPriority(ctx, readClass(s.sub)), s, id)
	if observed == nil || err != nil {
		return ctrl.Result{}, err
	}
	r.observed.note(nn, s.now)
	if observed.Status.IsTerminal() {
		return ctrl.Result{}, nil // no writes, and no more reads unless asked
	}
	if s.sub.Spec.ManagementPolicy != billingv1alpha1.ManagementPolicyObserveOnly {
		if err := r.applyDrift(ctx, s, observed); err != nil {
			return ctrl.Result{}, err
		}
	}
	return resyncAfter(&s.sub.Status, nextRead(&s.sub.Status, interval).Sub(s.now)), nil
}

// currentStall returns the stall recorded for this generation, unless a reconcile was
// explicitly requested since.
func currentStall(sub *billingv1alpha1.Subscription) *conditions.Why {
	if sub.Annotations[billingv1alpha1.AnnotationReconcileRequestedAt] != sub.Status.LastHandledReconcileAt {
		return nil
	}
	c := meta.FindStatusCondition(sub.Status.Conditions, billingv1alpha1.ConditionStalled)
	if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != sub.Generation {
		return nil
	}
	return &conditions.Why{Reason: c.Reason, Message: c.Message}
}

// observe reads the subscription, checks it may be managed by this object, and mirrors it
// into status. It returns nil (and sets a stall) when the subscription cannot be used.
func (r *Reconciler) observe(ctx context.Context, s *scope, id string) (*dodo.Subscription, error) {
	observed, err := s.api.GetSubscription(ctx, id)
	if dodo.IsNotFound(err) {
		s.out.stalled = notFoundStall(id)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading subscription %s: %w", id, err)
	}
	if refusal := r.adoptionRefusal(ctx, s.sub, observed); refusal != "" {
		refuseObserved(s, refusal)
		return nil, nil
	}
	st := &s.sub.Status
	providerstate.MirrorSubscription(st, observed)
	now := metav1.NewTime(s.now)
	st.LastObservedAt = &now
	if st.PaymentLinkExpiresAt != nil && !s.now.Before(st.PaymentLinkExpiresAt.Time) {
		st.PaymentLink = "" // the expiry stays: it says when, and that the link is not to be recovered
	}
	if err := r.observeLastFailure(ctx, s, observed); err != nil {
		return nil, err
	}
	if err := r.observePaymentLink(ctx, s, observed); err != nil {
		return nil, err
	}
	return observed, nil
}

// adoptionRefusal explains why this object must not manage the subscription: it is
// stamped as belonging to another Subscription object that still exists.
func (r *Reconciler) adoptionRefusal(ctx context.Context, sub *billingv1alpha1.Subscription, observed *dodo.Subscription) string {
	owner, ok := stamp.IdentityOf(observed.Metadata)
	if !ok || owner.UID == sub.UID || (owner.Namespace == sub.Namespace && owner.Name == sub.Name) {
		return ""
	}
	other := &billingv1alpha1.Subscription{}
	err := r.Get(ctx, types.NamespacedName{Namespace: owner.Namespace, Name: owner.Name}, other)
	if err != nil || other.UID != owner.UID {
		return "" // the previous owner is gone: explicit adoption may take over
	}
	return fmt.Sprintf("Dodo subscription %s is managed by Subscription %s/%s; a subscription is never taken over from "+
		"another object. Delete that object with deletionPolicy Orphan first.", observed.SubscriptionID, owner.Namespace, owner.Name)
}

// failureLookback bounds the search for the failed payment behind an on_hold or failed
// subscription: a little over the longest billing period a renewal retries within.
const failureLookback = 40 * 24 * time.Hour

// observeLastFailure fills status.lastPayment with the failed payment that explains an
// on_hold or failed subscription, when status does not know it yet (one list, one read).
func (r *Reconciler) observeLastFailure(ctx context.Context, s *scope, observed *dodo.Subscription) error {
	st := &s.sub.Status
	if observed.Status != dodo.SubscriptionStatusOnHold && observed.Status != dodo.SubscriptionStatusFailed {
		return nil
	}
	if st.LastPayment != nil && st.LastPayment.DeclineCode != "" {
		return nil
	}
	// Bounded by time: payment lists cap page numbers, and the failure that explains the
	// current state is recent (docs/money-safety.md).
	since := s.now.Add(-failureLookback)
	payments, err := s.api.ListAllPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: observed.SubscriptionID,
		Status: dodo.PaymentStatusFailed, CreatedAtGTE: &since, PageSize: 100})
	if err != nil || len(payments) == 0 {
		return err
	}
	latest := payments[0]
	for _, p := range payments[1:] {
		if p.CreatedAt.After(latest.CreatedAt) {
			latest = p
		}
	}
	payment, err := s.api.GetPayment(ctx, latest.PaymentID)
	if err != nil {
		return fmt.Errorf("reading payment %s: %w", latest.PaymentID, err)
	}
	st.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: payment.PaymentID, Status: string(statusOf(payment)),
		DeclineCode: ptr.Deref(payment.ErrorCode, ""), At: timeOrNil(&payment.CreatedAt)}
	return nil
}

func statusOf(p *dodo.Payment) dodo.PaymentStatus {
	if p.Status == nil {
		return ""
	}
	return *p.Status
}

func timeOrNil(t *time.Time) *metav1.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(*t)
	return &mt
}
