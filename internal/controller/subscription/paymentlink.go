package subscription

import (
	"context"
	"fmt"
	"sort"
	"time"

	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// reasonPaymentLinkUnavailable: a pending subscription asked for a payment link, and the
// operator does not know it (the create's answer, which carries it, was lost).
const (
	reasonPaymentLinkUnavailable = "PaymentLinkUnavailable"
	reasonPaymentLinkExpired     = "PaymentLinkExpired"
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

// paymentLinkCondition explains a pending subscription whose payment link is not in
// status: expired, or never known.
func paymentLinkCondition(status *billingv1alpha1.SubscriptionStatus) (string, string) {
	if exp := status.PaymentLinkExpiresAt; exp != nil {
		return reasonPaymentLinkExpired, "The payment link expired at " + exp.UTC().Format(time.RFC3339) +
			" before the customer completed it; Dodo ends the subscription as failed. Delete this object and create " +
			"it again for a new link."
	}
	return reasonPaymentLinkUnavailable, "The customer must complete a payment link, but its link is unknown: the create " +
		"call's answer, which carries it, was lost, and Dodo shows no payment with a link for subscription " +
		status.SubscriptionID + " yet. The operator looks again at each read; the link is also shown on the " +
		"subscription in Dodo's dashboard. If the link expired, the subscription fails: delete this object and create " +
		"it again for a new link."
}
