package ondemandcharge

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// AnnotationResolveAttempt resolves an attempt whose outcome could not be decided:
// "<attempt>:<payment ID>" names its payment, "<attempt>:none" says it made none.
const AnnotationResolveAttempt = "billing.dodo-operator.io/resolve-attempt"

// adoptEarlierPayments makes re-creating a charge safe: before the first attempt, payments
// already made under the same charge key on the subscription (by an earlier object of the
// same name, for example deleted and re-applied by Argo CD) become this charge's history.
func (r *Reconciler) adoptEarlierPayments(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription) (bool, error) {
	st := &s.charge.Status
	payments, err := r.API.ListAllPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: sub.Status.SubscriptionID, PageSize: 100})
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
		payment, err := r.API.GetPayment(ctx, p.PaymentID)
		if err != nil {
			return false, fmt.Errorf("reading earlier payment %s: %w", p.PaymentID, err)
		}
		recordOutcome(&attempt, payment, s.now)
		st.Attempts = append(st.Attempts, attempt)
	}
	st.SubscriptionID = sub.Status.SubscriptionID
	r.event(s.charge, corev1.EventTypeNormal, "EarlierPaymentsFound", "Charge",
		"Charge key %s already has %d payment(s) on the subscription (an earlier object of this charge); continuing its history "+
			"instead of charging again", st.ChargeKey, len(mine))
	return true, nil
}

// settledByDues reports whether a declined amount was collected after all: the
// subscription went on_hold after the decline and is active again, which takes a
// successful dues payment covering every failed amount (payments-api.md 9.2).
func (r *Reconciler) settledByDues(ctx context.Context, s *scope, sub *billingv1alpha1.Subscription,
	last *billingv1alpha1.ChargeAttempt) (bool, error) {
	if sub.Status.ProviderStatus != string(dodo.SubscriptionStatusActive) || last.PaymentID == "" {
		return false, nil
	}
	failed, err := r.API.GetPayment(ctx, last.PaymentID)
	if err != nil {
		return false, fmt.Errorf("reading payment %s: %w", last.PaymentID, err)
	}
	succeeded := dodo.PaymentStatus("succeeded")
	later, err := r.API.ListAllPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: sub.Status.SubscriptionID,
		Status: succeeded, CreatedAtGTE: &failed.CreatedAt, PageSize: 100})
	if err != nil {
		return false, fmt.Errorf("looking for a dues payment: %w", err)
	}
	for _, p := range later {
		if p.CreatedAt.After(failed.CreatedAt) && p.PaymentID != last.PaymentID {
			r.end(s, billingv1alpha1.ChargePhaseSucceeded, reasonSettledByDues, fmt.Sprintf(
				"Payment %s was declined, and the subscription's dues, which include it, were paid by payment %s; "+
					"it is never charged again.", last.PaymentID, p.PaymentID))
			r.event(s.charge, corev1.EventTypeNormal, reasonSettledByDues, "Charge", "Settled by dues payment %s", p.PaymentID)
			return true, nil
		}
	}
	return false, nil
}

// applyResolution applies the resolve-attempt annotation to an undecided attempt.
func (r *Reconciler) applyResolution(s *scope) bool {
	last := lastAttempt(&s.charge.Status)
	value := s.charge.Annotations[AnnotationResolveAttempt]
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
