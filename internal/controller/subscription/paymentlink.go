package subscription

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/utils/ptr"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// observePaymentLink recovers the payment link of a pending subscription whose create
// answer was lost: the subscription's first payment carries the same link
// (docs/money-safety.md, "Lost answers"). One bounded list and one read, only while
// the link is unknown.
func (r *Reconciler) observePaymentLink(ctx context.Context, s *scope, observed *dodo.Subscription) error {
	st := &s.sub.Status
	if observed.Status != dodo.SubscriptionStatusPending || !ptr.Deref(s.sub.Spec.PaymentLink, false) ||
		st.PaymentLink != "" || st.PaymentLinkExpiresAt != nil { // known, or known and expired
		return nil
	}
	since := observed.CreatedAt.Add(-r.Options.CreateLookback)
	payments, err := s.api.ListAllPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: observed.SubscriptionID,
		CreatedAtGTE: &since, PageSize: 100})
	if err != nil {
		return fmt.Errorf("looking up the payment link of subscription %s: %w", observed.SubscriptionID, err)
	}
	sort.Slice(payments, func(i, j int) bool { return payments[i].CreatedAt.Before(payments[j].CreatedAt) })
	for _, p := range payments {
		payment, err := s.api.GetPayment(ctx, p.PaymentID)
		if err != nil {
			return fmt.Errorf("reading payment %s for its payment link: %w", p.PaymentID, err)
		}
		if link := ptr.Deref(payment.PaymentLink, ""); link != "" {
			st.PaymentLink = link
			return nil
		}
	}
	return nil
}
