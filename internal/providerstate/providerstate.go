// Package providerstate turns what Dodo reports about a subscription into Subscription
// status: the mirrored fields and the Active, OnHold and Failed conditions. The controller
// (after a read) and the webhook receiver (after an event) both write these fields through
// this one package, so they cannot disagree on what a state means.
//
// Ordering: webhook events are ordered among themselves by their own timestamps (Dodo's
// clock), see IsStaleEvent; a read is the truth at the time it was made and always applies.
// Both writers use optimistic concurrency, so neither overwrites the other with stale data.
package providerstate

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// MaxRecentWebhookIDs bounds status.recentWebhookIDs. The list is a second line of
// defence, not the one that makes a replay harmless: a subscription event older than the
// newest applied is stale by its timestamp, one that changes nothing is a content duplicate
// and is not written, and a payment event settles its attempt by payment ID, which is
// idempotent. So the list only has to cover a burst of redeliveries arriving together; the
// eight newest do, at a quarter of the former 32's bytes in every cached copy (issue 17).
// The CRD still allows 32, so objects written by earlier versions stay valid.
const MaxRecentWebhookIDs = 8

// MirrorSubscription copies Dodo's view of the subscription into status.
func MirrorSubscription(status *billingv1alpha1.SubscriptionStatus, sub *dodo.Subscription) {
	status.SubscriptionID = sub.SubscriptionID
	status.ProviderStatus = string(sub.Status)
	status.CustomerID = sub.Customer.CustomerID
	status.ProductID = sub.ProductID
	status.Quantity = int32(sub.Quantity)
	status.Currency = sub.Currency
	amount := sub.RecurringPreTaxAmount
	status.RecurringPreTaxAmount = &amount
	status.NextBillingDate = nil
	if sub.Status == dodo.SubscriptionStatusActive {
		// Dodo reports a date for pending and on_hold subscriptions too, but nothing is
		// billed then until the customer pays or the dues are charged.
		status.NextBillingDate = timePtr(&sub.NextBillingDate)
	}
	status.PreviousBillingDate = timePtr(&sub.PreviousBillingDate)
	status.CancelAtNextBillingDate = sub.CancelAtNextBillingDate
	status.CancelledAt = timePtr(sub.CancelledAt)
	status.ExpiresAt = timePtr(sub.ExpiresAt)
	status.PaymentMethodID = ptr.Deref(sub.PaymentMethodID, "")
}

// SetProviderConditions sets Active, OnHold and Failed from the provider status and the
// last payment (whose decline code explains on_hold and failed).
func SetProviderConditions(status *billingv1alpha1.SubscriptionStatus, generation int64) {
	for _, c := range ProviderConditions(status.ProviderStatus, status.LastPayment) {
		c.ObservedGeneration = generation
		meta.SetStatusCondition(&status.Conditions, c)
	}
}

// ProviderConditions computes the Active, OnHold and Failed conditions. It is pure.
func ProviderConditions(providerStatus string, lastPayment *billingv1alpha1.PaymentSummary) []metav1.Condition {
	if providerStatus == "" {
		return []metav1.Condition{
			unknown(billingv1alpha1.ConditionActive), unknown(billingv1alpha1.ConditionOnHold), unknown(billingv1alpha1.ConditionFailed),
		}
	}
	stateReason := ReasonFromCode(providerStatus)
	active := metav1.Condition{Type: billingv1alpha1.ConditionActive, Status: metav1.ConditionFalse, Reason: stateReason,
		Message: "Dodo reports the subscription " + providerStatus + "."}
	if providerStatus == string(dodo.SubscriptionStatusActive) {
		active.Status = metav1.ConditionTrue
	}
	conditions := []metav1.Condition{active}
	for _, f := range paymentFailureConditions {
		c := metav1.Condition{Type: f.conditionType, Status: metav1.ConditionFalse, Reason: f.noReason, Message: f.noMessage}
		if providerStatus == string(f.status) {
			c = metav1.Condition{Type: f.conditionType, Status: metav1.ConditionTrue,
				Reason:  declineReason(lastPayment, f.reason),
				Message: f.failed + declineDetail(lastPayment) + f.advice}
		}
		conditions = append(conditions, c)
	}
	return conditions
}

// paymentFailureConditions are the conditions a failed payment turns True, each in
// the provider status it leads to, with the decline in the reason and message.
var paymentFailureConditions = []struct {
	conditionType          string
	status                 dodo.SubscriptionStatus
	noReason, noMessage    string
	reason, failed, advice string
}{
	{
		conditionType: billingv1alpha1.ConditionOnHold, status: dodo.SubscriptionStatusOnHold,
		noReason: "NotOnHold", noMessage: "The subscription is not on hold.",
		reason: "PaymentFailed", failed: "A payment failed",
		advice: ". Set spec.paymentMethod (a saved method or a new one) to charge the dues and reactivate it.",
	},
	{
		conditionType: billingv1alpha1.ConditionFailed, status: dodo.SubscriptionStatusFailed,
		noReason: "NotFailed", noMessage: "The subscription has not failed.",
		reason: "MandateFailed", failed: "The first payment or mandate failed",
		advice: "; the subscription is terminal. Create a new Subscription to try again.",
	},
}

// IsStaleEvent says whether a webhook event is older than the newest one already applied,
// to the nanosecond Dodo gives (status keeps the second and its fraction apart, see
// EventTime). An event of the same instant is not stale: applying it again changes nothing.
func IsStaleEvent(last *billingv1alpha1.WebhookEventRef, eventTime time.Time) bool {
	return last != nil && eventTime.Before(EventTime(last))
}

// EventRef records an event for status.lastWebhookEvent: the whole second in timestamp,
// its fraction in subsecondNanos.
func EventRef(id, eventType string, at time.Time) billingv1alpha1.WebhookEventRef {
	at = at.UTC()
	return billingv1alpha1.WebhookEventRef{ID: id, Type: eventType, Timestamp: metav1.NewTime(at.Truncate(time.Second)),
		SubsecondNanos: int32(at.Nanosecond())}
}

// EventTime is when a recorded event happened: its second and the fraction. Events
// recorded before the fraction was kept count from the start of their second.
func EventTime(ref *billingv1alpha1.WebhookEventRef) time.Time {
	return ref.Timestamp.Add(time.Duration(ref.SubsecondNanos))
}

// RememberWebhookID records a webhook-id, newest last, keeping at most MaxRecentWebhookIDs.
// It reports false when the id was already there (a duplicate delivery).
func RememberWebhookID(ids []string, id string) ([]string, bool) {
	for _, seen := range ids {
		if seen == id {
			return ids, false
		}
	}
	ids = append(ids, id)
	if over := len(ids) - MaxRecentWebhookIDs; over > 0 {
		ids = append([]string(nil), ids[over:]...)
	}
	return ids, true
}

// ReasonFromCode turns a Dodo code or status (INSUFFICIENT_FUNDS, on_hold) into a condition
// reason (InsufficientFunds, OnHold).
func ReasonFromCode(code string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(code, func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' }) {
		lower := strings.ToLower(word)
		b.WriteString(strings.ToUpper(lower[:1]) + lower[1:])
	}
	if b.Len() == 0 {
		return "Unknown"
	}
	return b.String()
}

func declineReason(p *billingv1alpha1.PaymentSummary, fallback string) string {
	if p == nil || p.DeclineCode == "" {
		return fallback
	}
	return ReasonFromCode(p.DeclineCode)
}

func declineDetail(p *billingv1alpha1.PaymentSummary) string {
	if p == nil || p.DeclineCode == "" {
		return ""
	}
	return " (payment " + p.PaymentID + " declined with " + p.DeclineCode + ")"
}

func unknown(conditionType string) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: metav1.ConditionUnknown, Reason: "NotObservedYet",
		Message: "Dodo's state of the subscription is not known yet."}
}

func timePtr(t *time.Time) *metav1.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.UTC())
	return &mt
}
