package ondemandcharge

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/controller/statuspatch"
	"github.com/dodo-operator/dodo-operator/internal/controller/unanswered"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// Ways an attempt is made.
const (
	viaCharge = billingv1alpha1.AttemptViaCharge
	viaDues   = billingv1alpha1.AttemptViaDues
)

var (
	errOutcomeUnknown   = errors.New("the last call's outcome is unknown; looking the payment up before any new call")
	errNoPaymentSeenYet = errors.New("the last call's outcome is unknown and Dodo shows no payment for it yet; " +
		"its lists can lag, so it is looked up again before any new call")
)

// startAttempt records the attempt as pending with a conflicting write (a stale copy cannot
// pass), then makes exactly one call: a charge, or, on an on_hold subscription, the dues
// payment through update-payment-method with the subscription's saved method.
func (r *Reconciler) startAttempt(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription) (ctrl.Result, error) {
	st := &s.charge.Status
	if until, ok := r.refusedUntil.Load(s.charge.UID); ok && s.now.Before(until.(time.Time)) {
		s.out.waiting = busy("refused a moment ago")
		return ctrl.Result{RequeueAfter: until.(time.Time).Sub(s.now)}, nil
	}
	key := client.ObjectKeyFromObject(s.charge)
	if !r.capacityOrInit().tryAcquire(key, sub.Status.CustomerID, r.inFlightElsewhere(ctx, key)) {
		s.out.waiting = &conditions.Why{Reason: billingv1alpha1.ReasonWaitingForCapacity,
			Message: "The cap on charges in flight (per customer or in all) is reached; " +
				"this charge starts when one finishes."}
		return ctrl.Result{RequeueAfter: time.Minute}, nil
	}
	via := viaCharge
	if sub.Status.ProviderStatus == string(dodo.SubscriptionStatusOnHold) {
		via = viaDues
	}
	number := int32(len(st.Attempts) + 1)
	st.Attempts = append(st.Attempts, billingv1alpha1.ChargeAttempt{Number: number, Via: via,
		StartedAt: metav1.NewTime(s.now), Outcome: billingv1alpha1.AttemptPending})
	st.Phase, st.NextAttemptAt, st.SubscriptionID = billingv1alpha1.ChargePhaseCharging, nil, sub.Status.SubscriptionID
	st.AccountRef = sub.Spec.AccountRef.DeepCopy() // stored with the intent: later calls use this account
	if st.AnchorTime == nil {
		anchor := metav1.NewTime(s.now)
		if sub.Status.PreviousBillingDate != nil {
			anchor = *sub.Status.PreviousBillingDate // the mandate's time for an on-demand subscription
		}
		st.AnchorTime = &anchor
	}
	st.AttemptCount = int32(len(st.Attempts))
	if err := r.Status().Update(ctx, s.charge); err != nil {
		r.capacityOrInit().release(key)
		return ctrl.Result{}, err
	}
	s.before = s.charge.DeepCopy()
	paymentID, err := r.call(ctx, s, sub, via, number)
	if err == nil && paymentID != "" {
		if rerr := r.recordPaymentID(ctx, s, number, paymentID); rerr != nil {
			// Not stored yet: the end-of-reconcile write tries again, else the lookup finds it.
			log.FromContext(ctx).Error(rerr, "Recording the payment ID at once", "attempt", number, "payment", paymentID)
		}
	}
	return r.afterCall(s, paymentID, err)
}

func busy(why string) *conditions.Why {
	return &conditions.Why{Reason: "SubscriptionBusy", Message: "Dodo did not take the charge now (" + why +
		"); it is tried again in a minute."}
}

// recordPaymentID stores the attempt's payment ID at once (statuspatch.StoreNowAndGoOn): the
// webhook receiver or another writer may change the object between the call and the end
// of this reconcile, and a dropped ID costs a lookup (never a second charge, but a slower,
// costlier path). A payment ID the receiver already recorded is kept. The reconcile then
// goes on from the stored copy.
func (r *Reconciler) recordPaymentID(ctx context.Context, s *scope, number int32, paymentID string) error {
	stored, err := statuspatch.StoreNowAndGoOn(ctx, r.Client, r.reader(), s.charge, func(c *billingv1alpha1.OnDemandCharge) (bool, error) {
		last := lastAttempt(&c.Status)
		if last == nil || last.Number != number {
			return false, fmt.Errorf("attempt %d is no longer the last one in the stored status", number)
		}
		if last.PaymentID != "" {
			return false, nil
		}
		last.PaymentID = paymentID
		return true, nil
	})
	if err != nil {
		return err
	}
	s.before = stored
	return nil
}

func (r *Reconciler) call(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription, via billingv1alpha1.AttemptVia,
	number int32) (string, error) {
	spec := &s.charge.Spec
	if via == viaDues {
		resp, err := s.api.UpdatePaymentMethod(ctx, sub.Status.SubscriptionID, dodo.UseExistingPaymentMethod(sub.Status.PaymentMethodID))
		if err != nil {
			return "", err
		}
		r.event(s.charge, corev1.EventTypeNormal, "ChargingDues", "Charge",
			"Attempt %d: the subscription is on_hold, so its dues (which include this charge) are charged to %s",
			number, sub.Status.PaymentMethodID)
		return ptr.Deref(resp.PaymentID, ""), nil
	}
	id := stamp.Identity{Namespace: s.charge.Namespace, Name: s.charge.Name, UID: s.charge.UID}
	req := dodo.ChargeRequest{ProductPrice: spec.Amount, Metadata: stamp.Charge(spec.Metadata, id, s.charge.Status.ChargeKey, int(number-1)),
		ProductCurrency: dodo.OptionalString(spec.Currency), ProductDescription: dodo.OptionalString(spec.Description),
		AdaptiveCurrencyFeesInclusive: spec.AdaptiveCurrencyFeesInclusive}
	resp, err := s.api.Charge(ctx, sub.Status.SubscriptionID, req)
	if err != nil {
		return "", err
	}
	r.event(s.charge, corev1.EventTypeNormal, billingv1alpha1.ReasonCharging, "Charge", "Attempt %d: charging %d %s (payment %s)",
		number, spec.Amount, spec.Currency, resp.PaymentID)
	return resp.PaymentID, nil
}

// afterCall records what the call returned. A call that surely made no payment removes
// its attempt; an unanswered one keeps it pending until the payment is looked up.
func (r *Reconciler) afterCall(s *scope, paymentID string, err error) (ctrl.Result, error) {
	st := &s.charge.Status
	last := lastAttempt(st)
	switch {
	case err == nil:
		if last.PaymentID == "" {
			last.PaymentID = paymentID
		}
		if last.Outcome != billingv1alpha1.AttemptPending {
			return ctrl.Result{RequeueAfter: requeueNow}, nil // the receiver already recorded the outcome
		}
		return ctrl.Result{RequeueAfter: r.Options.OutcomeTimeout}, nil
	case dodo.IsOutcomeUnknown(err):
		r.unanswered.Ended(s.charge.UID, r.Clock.Now())
		r.event(s.charge, corev1.EventTypeWarning, billingv1alpha1.ReasonPaymentOutcomeUnknown, "Charge",
			"Attempt %d: the answer was lost (%v); looking the payment up before any new call", last.Number, err)
		s.out.err = errOutcomeUnknown
		return ctrl.Result{RequeueAfter: r.Options.Settle}, nil
	}
	st.Attempts = st.Attempts[:len(st.Attempts)-1]
	r.capacityOrInit().release(client.ObjectKeyFromObject(s.charge))
	switch code := dodo.ErrorCode(err); {
	case code == "PREVIOUS_PAYMENT_PENDING" || code == "SUBSCRIPTION_INACTIVE":
		// Not before a minute: the status writes of this reconcile requeue it at once, and
		// a refused charge must not turn into a burst of charges.
		r.refusedUntil.Store(s.charge.UID, s.now.Add(time.Minute))
		s.out.waiting = busy(code)
		return ctrl.Result{RequeueAfter: time.Minute}, nil
	case code == "CHARGE_NOT_ALLOWED_FOR_SCHEDULED_CANCELLATION":
		s.out.waiting = &conditions.Why{Reason: billingv1alpha1.ReasonSubscriptionCancelling,
			Message: "Dodo refused the charge (" + code + "): the subscription is " +
				"scheduled to cancel at the end of its period. Nothing was charged; the charge starts if the cancellation is " +
				"lifted (spec.cancelAtNextBillingDate: false on the Subscription), and fails when the subscription ends."}
		return ctrl.Result{RequeueAfter: r.Options.OutcomeTimeout}, nil
	case dodo.IsValidation(err):
		r.end(s, billingv1alpha1.ChargePhaseFailed, billingv1alpha1.ReasonInvalidSpec,
			"Dodo refused the charge: "+err.Error()+". Nothing was charged; create a new OnDemandCharge with a corrected spec.")
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, fmt.Errorf("charging: %w", err)
}

// resolvePending learns the outcome of the attempt in flight: from the webhook receiver
// (which writes it into status), else by finding and reading the payment.
func (r *Reconciler) resolvePending(ctx context.Context, s *scope, last *billingv1alpha1.ChargeAttempt) (ctrl.Result, error) {
	s.charge.Status.Phase = billingv1alpha1.ChargePhaseCharging
	if last.PaymentID == "" {
		return r.findPendingPayment(ctx, s, last)
	}
	if last.AwaitingCustomerSince != nil {
		r.awaitingCustomer(s, last)
	}
	if wait := last.StartedAt.Add(r.Options.OutcomeTimeout).Sub(s.now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	payment, err := s.api.GetPayment(ctx, last.PaymentID)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading payment %s: %w", last.PaymentID, err)
	}
	if !recordOutcome(last, payment, s.now) {
		r.noteAwaitingCustomer(s, last, payment.StatusOrEmpty())
		return ctrl.Result{RequeueAfter: r.Options.OutcomeTimeout}, nil
	}
	return ctrl.Result{RequeueAfter: requeueNow}, nil
}

// noteAwaitingCustomer marks an attempt whose payment waits for the customer (3-D Secure,
// a new payment method): it stays in flight, so it is never charged again, but it no
// longer holds a slot of the in-flight caps, which are there to spread load on the card
// networks; otherwise one abandoned payment would block every other charge of the customer.
func (r *Reconciler) noteAwaitingCustomer(s *scope, last *billingv1alpha1.ChargeAttempt, status dodo.PaymentStatus) {
	if !awaitsCustomer(status) {
		return
	}
	if last.AwaitingCustomerSince == nil {
		since := metav1.NewTime(s.now)
		last.AwaitingCustomerSince = &since
		r.event(s.charge, corev1.EventTypeWarning, billingv1alpha1.ReasonAwaitingCustomerAction, "Charge",
			"Attempt %d: payment %s is %s; the customer must complete it. It is not charged again meanwhile.",
			last.Number, last.PaymentID, status)
	}
	r.awaitingCustomer(s, last)
}

// awaitingCustomer reports an attempt that waits for the customer, and frees its slot.
func (r *Reconciler) awaitingCustomer(s *scope, last *billingv1alpha1.ChargeAttempt) {
	r.capacityOrInit().release(client.ObjectKeyFromObject(s.charge))
	s.out.waiting = &conditions.Why{Reason: billingv1alpha1.ReasonAwaitingCustomerAction,
		Message: fmt.Sprintf("Payment %s of attempt %d waits for the customer "+
			"(for example 3-D Secure) since %s. No other attempt is made while it is open; Dodo settles or cancels it.",
			last.PaymentID, last.Number, last.AwaitingCustomerSince.UTC().Format(time.RFC3339))}
}

func awaitsCustomer(status dodo.PaymentStatus) bool {
	switch status {
	case dodo.PaymentStatusRequiresCustomerAction, dodo.PaymentStatusRequiresPaymentMethod, dodo.PaymentStatusRequiresConfirmation:
		return true
	}
	return false
}

// recordOutcome copies a settled payment's outcome into the attempt (chargestate.Settle,
// the rules the webhook receiver applies too); false while it is still in flight.
func recordOutcome(a *billingv1alpha1.ChargeAttempt, p *dodo.Payment, now time.Time) bool {
	return chargestate.Settle(a, p, p.StatusOrEmpty(), now)
}

// findPendingPayment looks for the payment of an attempt whose answer was lost (or whose
// process died before recording it): by its stamped key and retry_attempt for a charge, by
// time for a dues payment. None found: the call made no payment, and the attempt goes.
func (r *Reconciler) findPendingPayment(ctx context.Context, s *scope, last *billingv1alpha1.ChargeAttempt) (ctrl.Result, error) {
	sent := r.unanswered.SentBy(s.charge.UID, last.StartedAt.Time)
	windows := unanswered.Windows{Settle: r.Options.Settle, AbsentAfter: r.Options.AbsentAfter}
	if step, wait := windows.Next(sent, s.now, false); step == unanswered.Wait {
		s.out.err = errOutcomeUnknown
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	// Bounded on both sides: payment lists cap page numbers (docs/money-safety.md).
	since, until := last.StartedAt.Add(-time.Hour), s.now.Add(time.Hour)
	payments, err := s.api.ListAllPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: s.charge.Status.SubscriptionID,
		CreatedAtGTE: &since, CreatedAtLTE: &until, PageSize: 100})
	if err != nil && !errors.Is(err, dodo.ErrTooManyPages) {
		return ctrl.Result{}, fmt.Errorf("looking up the payment of attempt %d: %w", last.Number, err)
	}
	matches := matchAttempt(payments, s.charge.Status.ChargeKey, last)
	switch {
	case err != nil || len(matches) > 1:
		last.Outcome = billingv1alpha1.AttemptUnknown
		s.out.stalled = r.unknownStall(s, last, matches)
		return ctrl.Result{}, nil
	case len(matches) == 1:
		last.PaymentID = matches[0]
		r.unanswered.Forget(s.charge.UID)
		r.event(s.charge, corev1.EventTypeNormal, "PaymentFound", "Charge",
			"Attempt %d: found payment %s made by the unanswered call; not charging again", last.Number, matches[0])
		return ctrl.Result{RequeueAfter: requeueNow}, nil
	}
	if step, wait := windows.Next(sent, s.now, true); step == unanswered.Wait {
		s.out.err = errNoPaymentSeenYet
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	s.charge.Status.Attempts = s.charge.Status.Attempts[:len(s.charge.Status.Attempts)-1]
	r.unanswered.Forget(s.charge.UID)
	r.capacityOrInit().release(client.ObjectKeyFromObject(s.charge))
	r.event(s.charge, corev1.EventTypeNormal, "NoPaymentMade", "Charge",
		"Attempt %d: the unanswered call made no payment; the attempt will be made again", last.Number)
	return ctrl.Result{RequeueAfter: requeueNow}, nil
}

func matchAttempt(payments []dodo.PaymentListItem, chargeKey string, a *billingv1alpha1.ChargeAttempt) []string {
	var ids []string
	for _, p := range payments {
		_, hasKey := p.Metadata[stamp.KeyChargeKey]
		switch {
		case a.Via == viaCharge && chargestate.MadeBy(p.Metadata, chargeKey, a.Number):
			ids = append(ids, p.PaymentID)
		case a.Via == viaDues && !hasKey && !p.CreatedAt.Before(a.StartedAt.Add(-time.Minute)):
			ids = append(ids, p.PaymentID)
		}
	}
	return ids
}

func (r *Reconciler) unknownStall(s *scope, a *billingv1alpha1.ChargeAttempt, matches []string) *conditions.Why {
	msg := fmt.Sprintf("Attempt %d's outcome cannot be decided: payments %v match it, or not every payment could be read. "+
		"Check Dodo's payments of subscription %s for metadata k8s_charge_key=%s and retry_attempt=%d. Then set the annotation "+
		"%s to the payment ID of the attempt, or to \"none\" if it made no payment. No charge is made meanwhile.",
		a.Number, matches, s.charge.Status.SubscriptionID, s.charge.Status.ChargeKey, a.Number-1, billingv1alpha1.AnnotationResolveAttempt)
	r.event(s.charge, corev1.EventTypeWarning, billingv1alpha1.ReasonPaymentOutcomeUnknown, "Charge", "%s", msg)
	return &conditions.Why{Reason: billingv1alpha1.ReasonPaymentOutcomeUnknown, Message: msg}
}

// inFlightElsewhere lists charges with an attempt in flight (from the cache), with the
// customer of their subscription, so caps hold across operator restarts.
func (r *Reconciler) inFlightElsewhere(ctx context.Context, self types.NamespacedName) map[types.NamespacedName]string {
	out := map[types.NamespacedName]string{}
	list := &billingv1alpha1.OnDemandChargeList{}
	if err := r.List(ctx, list); err != nil {
		return out
	}
	for i := range list.Items {
		c := &list.Items[i]
		last := lastAttempt(&c.Status)
		key := client.ObjectKeyFromObject(c)
		if last == nil || last.Outcome != billingv1alpha1.AttemptPending || last.AwaitingCustomerSince != nil || key == self {
			continue
		}
		sub := &billingv1alpha1.Subscription{}
		_ = r.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Spec.SubscriptionRef.Name}, sub)
		out[key] = sub.Status.CustomerID
	}
	return out
}
