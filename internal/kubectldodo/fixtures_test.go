package kubectldodo

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// now is the fixed clock of every test: relative times in the output depend on it only.
var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(d)); return &t }

func cond(t string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: t, Status: status, Reason: reason, Message: message, ObservedGeneration: 1,
		LastTransitionTime: *at(-2 * time.Hour)}
}

// onHoldSubscription is what the operator writes for a renewal declined with
// INSUFFICIENT_FUNDS (providerstate.ProviderConditions and the controller's readyCondition).
func onHoldSubscription() *billingv1alpha1.Subscription {
	const msg = "A payment failed (payment pay_renew2 declined with INSUFFICIENT_FUNDS). Set spec.paymentMethod " +
		"(a saved method or a new one) to charge the dues and reactivate it."
	return &billingv1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-pro", Namespace: "billing", Generation: 1, UID: "uid-acme-pro"},
		Spec: billingv1alpha1.SubscriptionSpec{ProductID: "pdt_sim_pro", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: "billing@acme.example"},
			Billing:  billingv1alpha1.BillingAddress{Country: "US"}},
		Status: billingv1alpha1.SubscriptionStatus{ObservedGeneration: 1,
			SubscriptionID: "sub_acme1", ProviderStatus: providerOnHold, CustomerID: "cus_acme", Currency: "USD",
			RecurringPreTaxAmount: ptr.To[int64](8000), NextBillingDate: at(28 * 24 * time.Hour),
			PreviousBillingDate: at(-2 * 24 * time.Hour), PaymentMethodID: "pm_card1",
			LastPayment: &billingv1alpha1.PaymentSummary{PaymentID: "pay_renew2", Status: "failed",
				DeclineCode: "INSUFFICIENT_FUNDS", At: at(-2 * time.Hour)},
			LastObservedAt: at(-5 * time.Minute),
			LastWebhookEvent: &billingv1alpha1.WebhookEventRef{ID: "msg_onhold1", Type: "subscription.on_hold",
				Timestamp: *at(-2 * time.Hour)},
			Conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionFalse, "InsufficientFunds", msg),
				cond("Synced", metav1.ConditionTrue, "ReconcileSuccess", "The last reconcile against Dodo succeeded."),
				cond("Stalled", metav1.ConditionFalse, "NotStalled", "Nothing needs a person."),
				cond("Active", metav1.ConditionFalse, "OnHold", "Dodo reports the subscription on_hold."),
				cond("OnHold", metav1.ConditionTrue, "InsufficientFunds", msg),
				cond("Failed", metav1.ConditionFalse, "NotFailed", "The subscription has not failed."),
			}},
	}
}

// retryScheduledCharge is a charge whose first attempt was declined with a retryable code.
func retryScheduledCharge() *billingv1alpha1.OnDemandCharge {
	return &billingv1alpha1.OnDemandCharge{
		ObjectMeta: metav1.ObjectMeta{Name: "usage-2026-11", Namespace: "billing", Generation: 1, UID: "uid-usage"},
		Spec: billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: "acme-usage"},
			Amount: 2500, Currency: "USD"},
		Status: billingv1alpha1.OnDemandChargeStatus{ObservedGeneration: 1, Phase: billingv1alpha1.ChargePhaseRetryScheduled,
			SubscriptionID: "sub_usage1", ChargeKey: "usage-2026-11", AttemptCount: 1,
			Attempts: []billingv1alpha1.ChargeAttempt{{Number: 1, PaymentID: "pay_try1", Via: "Charge",
				StartedAt: *at(-3 * time.Hour), CompletedAt: at(-3 * time.Hour), Outcome: billingv1alpha1.AttemptFailed,
				DeclineCode: "INSUFFICIENT_FUNDS", Message: "Insufficient funds"}},
			NextAttemptAt: at(69 * time.Hour), RecentWebhookIDs: []string{"msg_fail1"},
			Conditions: []metav1.Condition{
				cond("Ready", metav1.ConditionFalse, "RetryScheduled",
					"Attempt 1 was declined (INSUFFICIENT_FUNDS); attempt 2 is scheduled for 2026-11-23T06:00:00Z."),
				cond("Synced", metav1.ConditionTrue, "ReconcileSuccess", "The last reconcile against Dodo succeeded."),
				cond("Stalled", metav1.ConditionFalse, "NotStalled", "Nothing needs a person."),
				cond("Succeeded", metav1.ConditionFalse, "NotSucceeded", "The amount has not been charged yet."),
				cond("Failed", metav1.ConditionFalse, "NotFailed", "The charge has not failed."),
			}},
	}
}

// setCondition replaces (or adds) one condition, for the variations of a fixture.
func setCondition(conds *[]metav1.Condition, c metav1.Condition) {
	for i := range *conds {
		if (*conds)[i].Type == c.Type {
			(*conds)[i] = c
			return
		}
	}
	*conds = append(*conds, c)
}

func typesUID(s string) types.UID { return types.UID(s) }
