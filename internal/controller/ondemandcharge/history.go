package ondemandcharge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

const (
	// listPageSize is Dodo's largest page. A lookup trusts only lists that fit in one
	// page: Dodo caps page_number, and past the cap a list ends early or is refused.
	listPageSize = 100
	// maxListCalls bounds the list calls of one lookup (time windows halved until each
	// fits in a page); past it the lookup fails and nothing is charged.
	maxListCalls = 128
	// lookupSlack lets a lookup's upper bound cover a clock that runs behind Dodo's.
	lookupSlack = time.Hour
	// historyMargin reaches back before the subscription's recorded start.
	historyMargin = 24 * time.Hour
)

var errTooManyPayments = errors.New("too many payments to read within the lookup's bounds; nothing is charged meanwhile")

// adoptEarlierPayments makes re-creating a charge safe: before the first attempt, payments
// already made under the same charge key on the subscription (by an earlier object of the
// same name, for example deleted and re-applied by Argo CD) become this charge's history.
// It reads every payment since the subscription started, in bounded windows.
func (r *Reconciler) adoptEarlierPayments(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription) (bool, error) {
	st := &s.charge.Status
	payments, err := paymentsBetween(ctx, s.api, dodo.ListPaymentsParams{SubscriptionID: sub.Status.SubscriptionID},
		historyStart(s, sub), s.now.Add(lookupSlack))
	if err != nil {
		return false, fmt.Errorf("looking for earlier payments of charge key %s: %w", st.ChargeKey, err)
	}
	var mine []dodo.PaymentListItem
	for _, p := range payments {
		if p.Metadata[stamp.KeyChargeKey] == st.ChargeKey {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		return false, nil
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].CreatedAt.Before(mine[j].CreatedAt) })
	for i, p := range mine {
		attempt := billingv1alpha1.ChargeAttempt{Number: int32(i + 1), PaymentID: p.PaymentID, Via: viaCharge,
			StartedAt: metav1.NewTime(p.CreatedAt), Outcome: billingv1alpha1.AttemptPending}
		payment, err := s.api.GetPayment(ctx, p.PaymentID)
		if err != nil {
			return false, fmt.Errorf("reading earlier payment %s: %w", p.PaymentID, err)
		}
		recordOutcome(&attempt, payment, s.now)
		st.Attempts = append(st.Attempts, attempt)
	}
	st.SubscriptionID, st.AccountRef = sub.Status.SubscriptionID, sub.Spec.AccountRef.DeepCopy()
	r.event(s.charge, corev1.EventTypeNormal, "EarlierPaymentsFound", "Charge",
		"Charge key %s already has %d payment(s) on the subscription (an earlier object of this charge); continuing its history "+
			"instead of charging again", st.ChargeKey, len(mine))
	return true, nil
}

// historyStart is the earliest time a payment of the subscription can carry: the earliest
// of the Subscription object's creation, its mandate (previousBillingDate) and the
// charge's creation, less a margin; a year back when none is known.
func historyStart(s *scope, sub *billingv1alpha1.Subscription) time.Time {
	var start time.Time
	candidates := []time.Time{s.charge.CreationTimestamp.Time, sub.CreationTimestamp.Time}
	if sub.Status.PreviousBillingDate != nil {
		candidates = append(candidates, sub.Status.PreviousBillingDate.Time)
	}
	for _, t := range candidates {
		if !t.IsZero() && (start.IsZero() || t.Before(start)) {
			start = t
		}
	}
	if start.IsZero() {
		return s.now.AddDate(-1, 0, 0)
	}
	return start.Add(-historyMargin)
}

// paymentsBetween lists the payments matching params created in [from, to]. A window whose
// list does not fit in one page (or that Dodo refuses at its page cap) is halved, so no
// answer depends on a page past the cap; at most maxListCalls calls.
func paymentsBetween(ctx context.Context, api PaymentsAPI, params dodo.ListPaymentsParams,
	from, to time.Time) ([]dodo.PaymentListItem, error) {
	var out []dodo.PaymentListItem
	seen := map[string]bool{}
	calls := 0
	var walk func(from, to time.Time) error
	walk = func(from, to time.Time) error {
		if calls++; calls > maxListCalls {
			return errTooManyPayments
		}
		params.CreatedAtGTE, params.CreatedAtLTE, params.PageSize = &from, &to, listPageSize
		items, err := api.ListAllPayments(ctx, params)
		refused := err != nil && (dodo.IsValidation(err) || errors.Is(err, dodo.ErrTooManyPages))
		switch {
		case err != nil && !refused:
			return err
		case err == nil && len(items) < listPageSize:
			for _, p := range items {
				if !seen[p.PaymentID] {
					seen[p.PaymentID] = true
					out = append(out, p)
				}
			}
			return nil
		case to.Sub(from) < 2*time.Second:
			return errTooManyPayments
		}
		mid := from.Add(to.Sub(from) / 2)
		if err := walk(from, mid); err != nil {
			return err
		}
		return walk(mid, to) // both bounds are inclusive: seen drops the overlap
	}
	return out, walk(from, to)
}

// retryDecision gathers what the policy needs after a declined attempt (the dues
// evidence, the card's latest decline outside the charge, a person's annotation) and
// decides. done: settledByDues ended or stalled the charge, and d is empty.
func (r *Reconciler) retryDecision(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription,
	last *billingv1alpha1.ChargeAttempt) (d decision, done bool, err error) {
	st := &s.charge.Status
	allowed := retryAllowed(s.charge)
	if done, err := r.settledByDues(ctx, s, sub, last, allowed); done || err != nil {
		return decision{}, done, err
	}
	card, err := r.latestDeclineOnCard(ctx, s, sub)
	if err != nil {
		return decision{}, false, err
	}
	anchor := st.Attempts[0].StartedAt.Time
	if st.AnchorTime != nil {
		anchor = st.AnchorTime.Time
	}
	return decideAfterDecline(retryInput{policy: policyOf(&s.charge.Spec), attempts: st.Attempts, anchor: anchor,
		spreadKey: st.ChargeKey, card: card, allowed: allowed}), false, nil
}

// settledByDues ends the charge Succeeded when the amount its last attempt failed to
// collect was paid by a dues payment, and stalls it (no attempt) when a succeeded payment
// may be that dues payment but the evidence is not clear (duesPaymentFor). true when it
// ended or stalled the charge.
func (r *Reconciler) settledByDues(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription,
	last *billingv1alpha1.ChargeAttempt, allowed bool) (bool, error) {
	if last.PaymentID == "" {
		return false, nil
	}
	failed, err := s.api.GetPayment(ctx, last.PaymentID)
	if err != nil {
		return false, fmt.Errorf("reading payment %s: %w", last.PaymentID, err)
	}
	later, err := paymentsBetween(ctx, s.api, dodo.ListPaymentsParams{SubscriptionID: sub.Status.SubscriptionID,
		Status: dodo.PaymentStatusSucceeded}, failed.CreatedAt, s.now.Add(lookupSlack))
	if err != nil {
		return false, fmt.Errorf("looking for a dues payment after payment %s: %w", last.PaymentID, err)
	}
	evidence, paymentID := duesPaymentFor(failed, later, attemptPayments(&s.charge.Status))
	switch {
	case evidence == duesPaid:
		r.end(s, billingv1alpha1.ChargePhaseSucceeded, billingv1alpha1.ReasonSettledByDues, fmt.Sprintf(
			"Payment %s was declined, and the subscription's dues, which include it, were paid by payment %s; "+
				"it is never charged again.", last.PaymentID, paymentID))
		r.event(s.charge, corev1.EventTypeNormal, billingv1alpha1.ReasonSettledByDues, "Charge", "Settled by dues payment %s", paymentID)
		return true, nil
	case evidence == duesUnclear && !allowed:
		msg := fmt.Sprintf("Payment %s succeeded after attempt %d was declined, but it is not clearly the dues payment "+
			"covering this charge (amount %d %s, not after the decline, or another currency). No attempt is made. "+
			"If it did not pay this charge, set the annotation %s to %q to allow the next attempt; if it did, delete this charge.",
			paymentID, last.Number, failed.TotalAmount, failed.Currency, billingv1alpha1.AnnotationAllowRetry, strconv.Itoa(int(last.Number)))
		s.charge.Status.Phase, s.charge.Status.NextAttemptAt = billingv1alpha1.ChargePhaseWaiting, nil
		s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonDuesPaymentUnclear, Message: msg}
		r.event(s.charge, corev1.EventTypeWarning, billingv1alpha1.ReasonDuesPaymentUnclear, "Charge", "%s", msg)
		return true, nil
	}
	return false, nil
}

// duesEvidence is what the subscription's payments say about a declined amount.
type duesEvidence int

const (
	duesNone    duesEvidence = iota // no succeeded payment may have paid it
	duesPaid                        // a dues payment paid it
	duesUnclear                     // a succeeded payment may have; a person must look
)

// duesPaymentFor judges the succeeded payments created since the declined one. Dues
// payments carry no charge stamp (nor, in Dodo, any metadata), so a dues payment is one
// without a charge key, not this charge's, created after the decline settled, for at least
// the declined amount in its currency. Any other unstamped succeeded payment since the
// declined one makes the evidence unclear.
func duesPaymentFor(failed *dodo.Payment, later []dodo.PaymentListItem, ours map[string]bool) (duesEvidence, string) {
	declinedAt := failed.CreatedAt
	if failed.UpdatedAt != nil && failed.UpdatedAt.After(declinedAt) {
		declinedAt = *failed.UpdatedAt
	}
	sorted := append([]dodo.PaymentListItem(nil), later...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].CreatedAt.Before(sorted[j].CreatedAt) })
	evidence, unclearID := duesNone, ""
	for _, p := range sorted {
		_, stamped := p.Metadata[stamp.KeyChargeKey]
		if stamped || ours[p.PaymentID] || p.PaymentID == failed.PaymentID || !p.CreatedAt.After(failed.CreatedAt) ||
			p.Status == nil || *p.Status != dodo.PaymentStatusSucceeded {
			continue
		}
		if p.CreatedAt.After(declinedAt) && p.TotalAmount >= failed.TotalAmount && strings.EqualFold(p.Currency, failed.Currency) {
			return duesPaid, p.PaymentID
		}
		if evidence == duesNone {
			evidence, unclearID = duesUnclear, p.PaymentID
		}
	}
	return evidence, unclearID
}

func attemptPayments(st *billingv1alpha1.OnDemandChargeStatus) map[string]bool {
	ours := map[string]bool{}
	for _, a := range st.Attempts {
		if a.PaymentID != "" {
			ours[a.PaymentID] = true
		}
	}
	return ours
}

// latestDeclineOnCard returns the subscription's latest payment when it is a decline made
// outside this charge on the payment method a retry would charge (or on one it cannot
// tell apart). The policy decides whether it counts (decideAfterDecline).
func (r *Reconciler) latestDeclineOnCard(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription) (*cardDecline, error) {
	lp := sub.Status.LastPayment
	if lp == nil || lp.PaymentID == "" || attemptPayments(&s.charge.Status)[lp.PaymentID] ||
		(lp.DeclineCode == "" && lp.Status != string(dodo.PaymentStatusFailed)) {
		return nil, nil
	}
	p, err := s.api.GetPayment(ctx, lp.PaymentID)
	if err != nil {
		return nil, fmt.Errorf("reading payment %s, the subscription's latest decline: %w", lp.PaymentID, err)
	}
	current := sub.Status.PaymentMethodID
	if method := ptr.Deref(p.PaymentMethodID, ""); method != "" && current != "" && method != current {
		return nil, nil // another payment method: a retry does not charge it
	}
	d := &cardDecline{paymentID: lp.PaymentID, code: lp.DeclineCode}
	if p.ErrorCode != nil {
		d.code = *p.ErrorCode
	}
	if lp.At != nil {
		d.at = lp.At.Time
	}
	return d, nil
}

// retryAllowed reports whether the allow-retry annotation names the last attempt.
func retryAllowed(charge *billingv1alpha1.OnDemandCharge) bool {
	last := lastAttempt(&charge.Status)
	return last != nil && last.Outcome == billingv1alpha1.AttemptFailed &&
		strings.TrimSpace(charge.Annotations[billingv1alpha1.AnnotationAllowRetry]) == strconv.Itoa(int(last.Number))
}

// applyResolution applies a person's answer to a stall: AnnotationAllowRetry to a declined
// attempt the policy would not retry, AnnotationResolveAttempt to an undecided attempt
// (both in billingv1alpha1).
func (r *Reconciler) applyResolution(s *scope) bool {
	last := lastAttempt(&s.charge.Status)
	if retryAllowed(s.charge) {
		r.event(s.charge, corev1.EventTypeNormal, billingv1alpha1.ReasonRetryAllowed, "Charge",
			"Annotation %s allows one more attempt after attempt %d", billingv1alpha1.AnnotationAllowRetry, last.Number)
		return true
	}
	value := s.charge.Annotations[billingv1alpha1.AnnotationResolveAttempt]
	number, answer, ok := strings.Cut(value, ":")
	if last == nil || last.Outcome != billingv1alpha1.AttemptUnknown || !ok || number != strconv.Itoa(int(last.Number)) {
		return false
	}
	if answer == "none" {
		s.charge.Status.Attempts = s.charge.Status.Attempts[:len(s.charge.Status.Attempts)-1]
	} else {
		last.PaymentID, last.Outcome = answer, billingv1alpha1.AttemptPending
	}
	r.event(s.charge, corev1.EventTypeNormal, "AttemptResolved", "Charge", "Attempt %d resolved by annotation: %s", last.Number, answer)
	return true
}
