package kubectldodo

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func (a *app) linkCommand() *cobra.Command {
	return a.objectCommand(&cobra.Command{
		Use:   "link SUBSCRIPTION",
		Short: "Print the subscription's current payment link, or how to get a new one",
		Long: "link prints the payment link in status.paymentLink alone on standard output (for scripts), and " +
			"its expiry on standard error. Without a current link it says why and how to get one, and exits 1.",
	}, "subscription", func(_ context.Context, _ client.Client, _ kind, obj client.Object) error {
		sub := obj.(*billingv1alpha1.Subscription)
		link, note, ok := LinkAdvice(sub, a.now())
		if !ok {
			return fmt.Errorf("no current payment link for subscription %s/%s: %s", sub.Namespace, sub.Name, note)
		}
		if _, err := fmt.Fprintln(a.streams.Out, link); err != nil {
			return err
		}
		_, err := fmt.Fprintln(a.streams.ErrOut, note)
		return err
	})
}

// LinkAdvice returns the current payment link and a note on its expiry (ok), or, when there
// is none, why and how to get one. It reads status only: the operator clears an expired
// link at its next read, so an expiry already passed counts as expired here too.
func LinkAdvice(sub *billingv1alpha1.Subscription, now time.Time) (link, note string, ok bool) {
	st := &sub.Status
	exp := st.PaymentLinkExpiresAt
	expired := exp != nil && !now.Before(exp.Time)
	switch {
	case st.PaymentLink != "" && !linkInUse(sub):
		// status keeps the creation link after the subscription left pending: it was paid.
		return "", "the link in status was for the first payment, which is done. " + noLinkWhy(sub) + " " + newLinkHow(sub), false
	case st.PaymentLink != "" && !expired:
		if exp == nil {
			return st.PaymentLink, "Dodo gave no expiry for this link.", true
		}
		return st.PaymentLink, "The link expires at " + formatTime(exp.Time, now) + ".", true
	case expired:
		return "", "the payment link expired at " + formatTime(exp.Time, now) + ". " + newLinkHow(sub), false
	}
	reason := ""
	if c := condition(st.Conditions, billingv1alpha1.ConditionReady); c != nil {
		reason = c.Reason
	}
	switch {
	case st.SubscriptionID == "":
		return "", "the subscription is not created in Dodo yet; its link (if spec.paymentLink is true) appears " +
			"once it is.", false
	case reason == billingv1alpha1.ReasonPaymentLinkUnavailable:
		return "", "the link is not known yet: the create call's answer, which carries it, was lost. The operator " +
			"looks for it at each read (ask for one now: kubectl dodo refresh subscription " + sub.Name + "); it is " +
			"also on the subscription in Dodo's dashboard.", false
	}
	return "", noLinkWhy(sub) + " " + newLinkHow(sub), false
}

// linkInUse says whether status.paymentLink is one a customer may still need: the creation
// link while the subscription is pending, or the link of the current payment-method request
// (status.lastPaymentMethodRequest "new:<token>" for spec.paymentMethod.new's token).
func linkInUse(sub *billingv1alpha1.Subscription) bool {
	if sub.Status.ProviderStatus == providerPending {
		return true
	}
	pm := sub.Spec.PaymentMethod
	return pm != nil && pm.New != nil && sub.Status.LastPaymentMethodRequest == "new:"+pm.New.Token
}

func noLinkWhy(sub *billingv1alpha1.Subscription) string {
	st := &sub.Status
	switch st.ProviderStatus {
	case providerPending:
		if !ptr.Deref(sub.Spec.PaymentLink, false) {
			return "the subscription was created without a payment link (spec.paymentLink is not true): Dodo " +
				"charges the customer's saved payment method."
		}
		return "Dodo gave no link for this pending subscription."
	case providerOnHold:
		return "the subscription is on hold and no link was requested."
	case providerActive:
		return "the subscription is active: no payment is waiting."
	}
	return "the subscription is " + st.ProviderStatus + "."
}

// newLinkHow is the way to a new link, which depends on what the link was for: the first
// payment (created with the subscription, so only a new subscription gives a new one) or a
// payment-method change (one link per request token).
func newLinkHow(sub *billingv1alpha1.Subscription) string {
	st := &sub.Status
	token := `kubectl patch dsub ` + sub.Name + ` --type merge -p '{"spec":{"paymentMethod":{"new":{"token":"<new token>"}}}}'`
	switch st.ProviderStatus {
	case providerPending:
		return "A creation link cannot be renewed: Dodo fails the subscription when it expires. Delete this " +
			"object and create it again for a new link."
	case providerOnHold:
		return "Ask for a link where the customer adds a payment method (Dodo then charges the dues): " + token
	case providerActive:
		return "To let the customer change their payment method, ask for a link with a new token: " + token
	case providerFailed, providerCancelled, providerExpired:
		return "No link can restart it: create a new Subscription."
	}
	return "See kubectl dodo status subscription " + sub.Name + "."
}
