package kubectldodo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func (a *app) statusCommand() *cobra.Command {
	return a.objectCommand(&cobra.Command{
		Use:   "status (subscription|charge) NAME",
		Short: "What Dodo says, conditions, last webhook, what is due next, recent events and the next action",
		Example: "  kubectl dodo status subscription acme-pro\n" +
			"  kubectl dodo status odc usage-2026-11 -n billing",
	}, "", func(ctx context.Context, c client.Client, k kind, obj client.Object) error {
		events, err := objectEvents(ctx, c, obj)
		if err != nil {
			return fmt.Errorf("listing the events of %s %s: %w", k, obj.GetName(), err)
		}
		if k == kindCharge {
			charge := obj.(*billingv1alpha1.OnDemandCharge)
			sub, err := chargedSubscription(ctx, c, charge)
			if err != nil {
				return err
			}
			return RenderChargeStatus(a.streams.Out, charge, sub, events, a.now())
		}
		return RenderSubscriptionStatus(a.streams.Out, obj.(*billingv1alpha1.Subscription), events, a.now())
	})
}

// RenderSubscriptionStatus writes `status subscription`: Dodo's view (status.*), conditions,
// the last webhook, the next billing, recent events and the next action.
func RenderSubscriptionStatus(w io.Writer, sub *billingv1alpha1.Subscription, events []corev1.Event, now time.Time) error {
	r := &report{w: w, now: now}
	st := &sub.Status
	r.printf("Subscription %s/%s\n", sub.Namespace, sub.Name)
	r.section("Dodo says")
	r.field("Subscription", st.SubscriptionID)
	r.field("Status", st.ProviderStatus)
	r.field("Customer", st.CustomerID)
	if st.RecurringPreTaxAmount != nil {
		r.field("Recurring amount", formatAmount(*st.RecurringPreTaxAmount, st.Currency)+" before tax")
	}
	r.field("Payment method", st.PaymentMethodID)
	r.field("Last payment", lastPayment(st.LastPayment, now))
	r.field("Next billing", nextBilling(st, now))
	if st.PaymentLink != "" && linkInUse(sub) {
		r.field("Payment link", "kubectl dodo link "+sub.Name)
	}
	r.timeField("Last read", st.LastObservedAt)
	r.field("Last webhook", lastWebhook(st.LastWebhookEvent, now))
	r.conditions(st.Conditions)
	r.events(events)
	r.action(SubscriptionAction(sub, now))
	return r.err
}

func lastPayment(p *billingv1alpha1.PaymentSummary, now time.Time) string {
	if p == nil {
		return ""
	}
	out := p.PaymentID + " " + p.Status
	if p.DeclineCode != "" {
		out += " (" + p.DeclineCode + ")"
	}
	if p.At != nil {
		out += ", " + formatTime(p.At.Time, now)
	}
	return out
}

func lastWebhook(e *billingv1alpha1.WebhookEventRef, now time.Time) string {
	if e == nil {
		return "none received for this object"
	}
	return e.Type + ", " + formatTime(e.Timestamp.Time, now) + ", id " + e.ID
}

// nextBilling answers "when is the customer charged next", which is not always
// status.nextBillingDate: Dodo reports a date for a pending subscription that nobody paid,
// and for one that cancels at the end of the period.
func nextBilling(st *billingv1alpha1.SubscriptionStatus, now time.Time) string {
	switch st.ProviderStatus {
	case "":
		return ""
	case providerPending:
		return "none until the customer pays or the mandate succeeds"
	case providerFailed, providerCancelled, providerExpired:
		return "none: the subscription is " + st.ProviderStatus
	}
	if st.NextBillingDate == nil {
		return ""
	}
	if st.CancelAtNextBillingDate {
		return "none: Dodo cancels it at the end of the period, " + formatTime(st.NextBillingDate.Time, now)
	}
	out := formatTime(st.NextBillingDate.Time, now)
	if st.ProviderStatus == providerOnHold {
		out += "; on hold: renewals wait for the dues"
	}
	return out
}

// chargedSubscription is the Subscription the charge names, or nil when there is none: its
// Dodo state (on_hold, cancelling) is often why a charge waits.
func chargedSubscription(ctx context.Context, c client.Client, charge *billingv1alpha1.OnDemandCharge) (
	*billingv1alpha1.Subscription, error) {
	sub := &billingv1alpha1.Subscription{}
	err := c.Get(ctx, client.ObjectKey{Namespace: charge.Namespace, Name: charge.Spec.SubscriptionRef.Name}, sub)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Subscription %s: %w", charge.Spec.SubscriptionRef.Name, err)
	}
	return sub, nil
}

// RenderChargeStatus writes `status charge`: the subscription charged (nil: it does not
// exist), the attempts and what Dodo answered to each, conditions, the next attempt, recent
// events and the next action.
func RenderChargeStatus(w io.Writer, charge *billingv1alpha1.OnDemandCharge, sub *billingv1alpha1.Subscription,
	events []corev1.Event, now time.Time) error {
	r := &report{w: w, now: now}
	st := &charge.Status
	r.printf("OnDemandCharge %s/%s\n", charge.Namespace, charge.Name)
	r.field("Subscription", charge.Spec.SubscriptionRef.Name+subscriptionState(st.SubscriptionID, sub))
	r.field("Amount", formatAmount(charge.Spec.Amount, charge.Spec.Currency))
	r.field("Charge key", st.ChargeKey)
	r.field("Phase", string(st.Phase))
	r.field("Next attempt", nextAttempt(st, now))
	webhook := "none received for this charge"
	if n := len(st.RecentWebhookIDs); n > 0 {
		webhook = fmt.Sprintf("id %s (newest of %d applied)", st.RecentWebhookIDs[n-1], n)
	}
	r.field("Last webhook", webhook)
	r.section(fmt.Sprintf("Dodo says (%d attempt(s))", len(st.Attempts)))
	if len(st.Attempts) == 0 {
		r.printf("  no attempt yet\n")
	}
	for _, at := range st.Attempts {
		r.printf("  #%d %s\n", at.Number, attemptLine(&at, now))
	}
	r.conditions(st.Conditions)
	r.events(events)
	r.action(ChargeAction(charge, now))
	return r.err
}

// subscriptionState is what the charge's line says about its subscription: the Dodo ID the
// charge records (or, before any attempt, the Subscription's) and Dodo's status of it.
func subscriptionState(recorded string, sub *billingv1alpha1.Subscription) string {
	if sub == nil {
		return " (no such Subscription in this namespace)"
	}
	id, status := recorded, sub.Status.ProviderStatus
	if id == "" {
		id = sub.Status.SubscriptionID
	}
	switch {
	case id == "":
		return " (not created in Dodo yet)"
	case status == "":
		return " (Dodo " + id + ")"
	}
	out := " (Dodo " + id + ", " + status
	if sub.Status.CancelAtNextBillingDate {
		out += ", cancels at period end"
	}
	return out + ")"
}

func nextAttempt(st *billingv1alpha1.OnDemandChargeStatus, now time.Time) string {
	switch {
	case st.NextAttemptAt != nil:
		return formatTime(st.NextAttemptAt.Time, now)
	case st.Phase == billingv1alpha1.ChargePhaseSucceeded || st.Phase == billingv1alpha1.ChargePhaseFailed:
		return "none: the charge is " + string(st.Phase)
	}
	return "none scheduled"
}

func attemptLine(at *billingv1alpha1.ChargeAttempt, now time.Time) string {
	out := string(at.Outcome)
	if at.PaymentID != "" {
		out += " " + at.PaymentID
	}
	if at.Via != "" {
		out += " via " + string(at.Via)
	}
	if at.DeclineCode != "" {
		out += ", declined " + at.DeclineCode
		if at.Message != "" {
			out += " (" + at.Message + ")"
		}
	}
	out += ", started " + formatTime(at.StartedAt.Time, now)
	if at.AwaitingCustomerSince != nil {
		out += ", waiting for the customer since " + formatTime(at.AwaitingCustomerSince.Time, now)
	}
	return out
}
