package ondemandcharge

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// requeueNow asks for the next step at once, after this reconcile's status write.
const requeueNow = 100 * time.Millisecond

// reconcileNormal decides the next step from the attempts so far.
func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	st := &s.charge.Status
	if st.ChargeKey == "" {
		st.ChargeKey = chargestate.KeyOf(s.charge)
	}
	if isFinished(st.Phase) {
		r.capacityOrInit().release(client.ObjectKeyFromObject(s.charge))
		return ctrl.Result{}, nil
	}
	if stall := currentStall(s.charge); stall != nil {
		if !r.applyResolution(s) {
			s.out.stalled = stall
			return ctrl.Result{}, nil
		}
	}
	if last := lastAttempt(st); last != nil && last.Outcome == billingv1alpha1.AttemptPending {
		return r.resolvePendingInItsAccount(ctx, s, last)
	}
	r.capacityOrInit().release(client.ObjectKeyFromObject(s.charge))
	sub, wait, err := r.subscriptionAndAccount(ctx, s)
	if sub == nil || err != nil {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	last := lastAttempt(st)
	switch {
	case last == nil:
		if wait := r.earlierChargeSettling(s); wait > 0 {
			return ctrl.Result{RequeueAfter: wait}, nil
		}
		if found, err := r.adoptEarlierPayments(ctx, s, sub); found || err != nil {
			return ctrl.Result{RequeueAfter: requeueNow}, err
		}
		return r.startAttempt(ctx, s, sub)
	case last.Outcome == billingv1alpha1.AttemptSucceeded && last.Via == viaDues:
		r.end(s, billingv1alpha1.ChargePhaseSucceeded, billingv1alpha1.ReasonSettledByDues, fmt.Sprintf(
			"Dues payment %s, which includes this amount, succeeded; it is never charged again.", last.PaymentID))
		return ctrl.Result{}, nil
	case last.Outcome == billingv1alpha1.AttemptSucceeded:
		r.end(s, billingv1alpha1.ChargePhaseSucceeded, billingv1alpha1.ReasonCharged, fmt.Sprintf("Payment %s succeeded.", last.PaymentID))
		return ctrl.Result{}, nil
	}
	return r.afterFailure(ctx, s, sub, last)
}

// subscriptionAndAccount is the Subscription when the charge may proceed, with this
// reconcile's calls pointed at its account; nil with how long to wait otherwise.
func (r *Reconciler) subscriptionAndAccount(ctx context.Context, s *scope) (*billingv1alpha1.Subscription, time.Duration, error) {
	sub, err := r.subscriptionFor(ctx, s)
	if sub == nil || err != nil {
		return nil, s.recheck, err
	}
	// ownershipStop has checked that a recorded account is the Subscription's.
	if waiting, err := r.useAccount(ctx, s, sub.Spec.AccountRef); waiting || err != nil {
		return nil, accountWait(s), err
	}
	return sub, 0, nil
}

// afterFailure applies the retry policy to a declined attempt, on every reconcile until the
// next attempt starts: a dues payment or a decline on the card outside the charge can
// change the answer while it waits (docs/retry-policy.md).
func (r *Reconciler) afterFailure(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription,
	last *billingv1alpha1.ChargeAttempt) (ctrl.Result, error) {
	st := &s.charge.Status
	d, done, err := r.retryDecision(ctx, s, sub, last)
	if done || err != nil {
		return ctrl.Result{}, err
	}
	switch d.action {
	case actionStop:
		r.end(s, billingv1alpha1.ChargePhaseFailed, d.reason, d.message)
		r.event(s.charge, corev1.EventTypeWarning, d.reason, "Charge", "%s", d.message)
		return ctrl.Result{}, nil
	case actionAskPerson:
		st.Phase, st.NextAttemptAt = billingv1alpha1.ChargePhaseWaiting, nil
		s.out.stalled = &conditions.Why{Reason: d.reason, Message: d.message}
		r.event(s.charge, corev1.EventTypeWarning, d.reason, "Charge", "%s", d.message)
		return ctrl.Result{}, nil
	}
	st.Phase = billingv1alpha1.ChargePhaseRetryScheduled
	// Recomputed each time, so a schedule stored by an older version cannot start early.
	if st.NextAttemptAt == nil || !st.NextAttemptAt.Time.Equal(d.next) {
		next := metav1.NewTime(d.next)
		st.NextAttemptAt = &next
		// The on-demand guide: tell the customer before the next attempt.
		r.event(s.charge, corev1.EventTypeNormal, billingv1alpha1.ReasonRetryScheduled, "ScheduleRetry",
			"Attempt %d was declined (%s); attempt %d of %d will charge %d %s at %s", last.Number,
			displayCode(last.DeclineCode), last.Number+1, policyOf(&s.charge.Spec).maxAttempts,
			s.charge.Spec.Amount, s.charge.Spec.Currency, d.next.UTC().Format(time.RFC3339))
	}
	if wait := d.next.Sub(s.now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	return r.startAttempt(ctx, s, sub)
}

// end ends the charge; Succeeded and Failed latch.
func (r *Reconciler) end(s *scope, phase billingv1alpha1.ChargePhase, reason, message string) {
	st := &s.charge.Status
	st.Phase, st.NextAttemptAt = phase, nil
	s.out.finished = &conditions.Why{Reason: reason, Message: message}
	r.capacityOrInit().release(client.ObjectKeyFromObject(s.charge))
}

// subscriptionFor returns the Subscription when the charge may proceed, or nil with the
// reason it waits. A change of the Subscription re-runs this (watch).
func (r *Reconciler) subscriptionFor(ctx context.Context, s *scope) (*billingv1alpha1.Subscription, error) {
	sub := &billingv1alpha1.Subscription{}
	key := client.ObjectKey{Namespace: s.charge.Namespace, Name: s.charge.Spec.SubscriptionRef.Name}
	wait := func(reason, format string, args ...any) (*billingv1alpha1.Subscription, error) {
		s.out.waiting = &conditions.Why{Reason: reason, Message: fmt.Sprintf(format, args...)}
		s.charge.Status.Phase = billingv1alpha1.ChargePhaseWaiting
		if len(s.charge.Status.Attempts) > 0 {
			s.charge.Status.Phase = billingv1alpha1.ChargePhaseRetryScheduled
		}
		return nil, nil
	}
	if err := r.Get(ctx, key, sub); err != nil {
		if apierrors.IsNotFound(err) {
			return r.subscriptionMissing(s, key, wait)
		}
		return nil, err
	}
	if r.refuseCurrency(s, sub) {
		return nil, nil
	}
	if w, stall := ownershipStop(s.charge, sub); stall != nil {
		s.out.stalled = stall
		return nil, nil
	} else if w != nil {
		return wait(w.Reason, "%s", w.Message)
	}
	status := dodo.SubscriptionStatus(sub.Status.ProviderStatus)
	switch {
	case sub.Spec.OnDemand == nil:
		return wait("SubscriptionNotOnDemand", "Subscription %s is not on-demand (spec.onDemand is not set).", key.Name)
	case sub.Status.SubscriptionID == "":
		return wait("SubscriptionNotCreated", "Subscription %s has no Dodo subscription yet.", key.Name)
	case status.IsTerminal():
		r.end(s, billingv1alpha1.ChargePhaseFailed, "SubscriptionEnded",
			fmt.Sprintf("Subscription %s is %s in Dodo and can no longer be charged.", key.Name, status))
		return nil, nil
	case status == dodo.SubscriptionStatusOnHold && len(s.charge.Status.Attempts) > 0 && sub.Status.PaymentMethodID != "":
		return sub, nil // a retry pays the dues (docs/dodo-api.md §8.2)
	case status != dodo.SubscriptionStatusActive:
		return wait("SubscriptionNotActive", "Subscription %s is %q in Dodo; charges need it active.", key.Name, status)
	case sub.Status.CancelAtNextBillingDate:
		return wait(billingv1alpha1.ReasonSubscriptionCancelling, "Subscription %s is scheduled to cancel at the end of its period "+
			"(its deletionPolicy CancelAtPeriodEnd, or spec.cancelAtNextBillingDate), and Dodo refuses charges on it "+
			"(CHARGE_NOT_ALLOWED_FOR_SCHEDULED_CANCELLATION). The charge starts if the cancellation is lifted, and fails "+
			"when the subscription ends.", key.Name)
	}
	return sub, nil
}

// refuseCurrency ends a charge whose currency is not its subscription's, before any call.
func (r *Reconciler) refuseCurrency(s *scope, sub *billingv1alpha1.Subscription) bool {
	c, billed := s.charge.Spec.Currency, sub.Status.Currency
	if c == "" || billed == "" || strings.EqualFold(c, billed) || len(s.charge.Status.Attempts) > 0 {
		return false
	}
	r.end(s, billingv1alpha1.ChargePhaseFailed, billingv1alpha1.ReasonCurrencyMismatch, fmt.Sprintf("The charge is in %s, but Subscription "+
		"%s bills in %s; nothing was charged. Create a new OnDemandCharge in %s, or leave spec.currency empty.",
		c, sub.Name, billed, billed))
	r.event(s.charge, corev1.EventTypeWarning, billingv1alpha1.ReasonCurrencyMismatch, "Charge",
		"Refused: currency %s, subscription bills in %s", c, billed)
	return true
}

// subscriptionMissing waits a bounded time for the referenced Subscription to appear (a
// GitOps sync applies both together), then ends the charge: a Subscription of that name
// created months later must not be charged by a forgotten charge.
func (r *Reconciler) subscriptionMissing(s *scope, key client.ObjectKey,
	wait func(reason, format string, args ...any) (*billingv1alpha1.Subscription, error)) (*billingv1alpha1.Subscription, error) {
	deadline := s.charge.CreationTimestamp.Add(r.Options.SubscriptionWait)
	if len(s.charge.Status.Attempts) > 0 || s.now.Before(deadline) {
		s.recheck = max(deadline.Sub(s.now), 0)
		return wait(billingv1alpha1.ReasonSubscriptionNotFound,
			"Subscription %s does not exist in namespace %s; the charge waits for it until %s.",
			key.Name, key.Namespace, deadline.UTC().Format(time.RFC3339))
	}
	msg := fmt.Sprintf("Subscription %s did not appear in namespace %s within %s of the charge's creation; nothing was "+
		"charged. Create the Subscription, then delete and re-create this charge.", key.Name, key.Namespace, r.Options.SubscriptionWait)
	r.end(s, billingv1alpha1.ChargePhaseFailed, billingv1alpha1.ReasonSubscriptionNotFound, msg)
	r.event(s.charge, corev1.EventTypeWarning, billingv1alpha1.ReasonSubscriptionNotFound, "Charge", "%s", msg)
	return nil, nil
}

// earlierChargeSettling is how long a re-created charge waits before looking for the
// payments of the object of the same key that was deleted a moment ago: Dodo's payment
// list may not show them yet, and an empty lookup would charge the key again.
func (r *Reconciler) earlierChargeSettling(s *scope) time.Duration {
	deleted, ok := r.deletedKeys.Load(s.charge.Namespace + "/" + chargestate.KeyOf(s.charge))
	if !ok {
		return 0
	}
	until := deleted.(time.Time).Add(r.Options.AbsentAfter)
	if !s.now.Before(until) {
		return 0
	}
	s.out.waiting = &conditions.Why{Reason: "EarlierChargeSettling", Message: "A charge with key " +
		chargestate.KeyOf(s.charge) + " was deleted at " + deleted.(time.Time).UTC().Format(time.RFC3339) +
		"; its payments are looked up once Dodo's lists show them, at " + until.UTC().Format(time.RFC3339) +
		", so that this charge continues its history instead of charging again."}
	return until.Sub(s.now)
}

// ownershipStop keeps a charge off a subscription the Subscription object has not proven
// it owns (docs/money-safety.md): the Subscription records a Dodo ID only
// once it created the subscription or proved an adoption, so an object being let go of,
// or an ID different from the one earlier attempts charged, stops the charge (a wait, or
// a stall for a person).
func ownershipStop(charge *billingv1alpha1.OnDemandCharge, sub *billingv1alpha1.Subscription) (wait, stall *conditions.Why) {
	recorded := charge.Status.SubscriptionID
	switch {
	case !sub.DeletionTimestamp.IsZero():
		return &conditions.Why{Reason: "SubscriptionDeleting",
			Message: "Subscription " + sub.Name + " is being deleted; no charge is made on it."}, nil
	case sub.Spec.ManagementPolicy == billingv1alpha1.ManagementPolicyObserveOnly:
		return &conditions.Why{Reason: "SubscriptionObserveOnly", Message: "Subscription " + sub.Name + " only observes its " +
			"Dodo subscription (managementPolicy ObserveOnly): the operator never writes to it, and never charges it."}, nil
	case recorded != "" && accounts.KeyOf(sub.Namespace, charge.Status.AccountRef) != accounts.KeyOf(sub.Namespace, sub.Spec.AccountRef):
		return nil, &conditions.Why{Reason: billingv1alpha1.ReasonSubscriptionChanged,
			Message: fmt.Sprintf("Earlier attempts of this charge were made "+
				"in account %s, but Subscription %s now uses %s; a charge never moves to another account. Delete this charge and "+
				"create a new one.", accounts.KeyOf(sub.Namespace, charge.Status.AccountRef), sub.Name,
				accounts.KeyOf(sub.Namespace, sub.Spec.AccountRef))}
	case recorded != "" && sub.Status.SubscriptionID != "" && recorded != sub.Status.SubscriptionID:
		return nil, &conditions.Why{Reason: billingv1alpha1.ReasonSubscriptionChanged,
			Message: fmt.Sprintf("Earlier attempts of this charge were made on Dodo "+
				"subscription %s, but Subscription %s now manages %s; a charge never moves to another subscription. "+
				"Delete this charge and create a new one.", recorded, sub.Name, sub.Status.SubscriptionID)}
	}
	return nil, nil
}

func lastAttempt(st *billingv1alpha1.OnDemandChargeStatus) *billingv1alpha1.ChargeAttempt {
	if len(st.Attempts) == 0 {
		return nil
	}
	return &st.Attempts[len(st.Attempts)-1]
}
