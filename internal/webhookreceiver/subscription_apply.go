package webhookreceiver

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// applySubscriptionEvent applies a subscription.* event to a Subscription's status (read
// fresh) and says what it did; only outcomeApplied needs a write. Ownership: the provider
// mirror, the Active/OnHold/Failed conditions, lastWebhookEvent and recentWebhookIDs;
// status.subscriptionID stays the controller's.
func applySubscriptionEvent(status *billingv1alpha1.SubscriptionStatus, generation int64,
	ref billingv1alpha1.WebhookEventRef, sub *dodo.Subscription) outcome {
	if slices.Contains(status.RecentWebhookIDs, ref.ID) {
		return outcomeDuplicate
	}
	if status.SubscriptionID != "" && status.SubscriptionID != sub.SubscriptionID {
		// The stamp names this object but it records another subscription: not ours to mirror.
		return outcomeUnknownObject
	}
	if providerstate.IsStaleEvent(status.LastWebhookEvent, providerstate.EventTime(&ref)) {
		return outcomeStale
	}
	if dodo.SubscriptionStatus(status.ProviderStatus).IsTerminal() && !sub.Status.IsTerminal() {
		// Nothing leaves cancelled, failed or expired: a later-stamped event claiming
		// otherwise comes from a skewed clock.
		return outcomeStale
	}
	before := status.DeepCopy()
	recordedID := status.SubscriptionID
	providerstate.MirrorSubscription(status, sub)
	status.SubscriptionID = recordedID
	providerstate.SetProviderConditions(status, generation)
	status.LastWebhookEvent = ref.DeepCopy()
	return finishSubscription(status, before, ref.ID)
}

// applyPaymentToSubscription records a payment of the subscription in status.lastPayment
// and, when the subscription is on_hold or failed, recomputes the conditions whose reason
// is the payment's decline code. Payments are ordered among themselves (paymentSupersedes),
// not against subscription events, so neither kind can make the other look stale.
func applyPaymentToSubscription(status *billingv1alpha1.SubscriptionStatus, generation int64, webhookID string,
	subscriptionID string, payment billingv1alpha1.PaymentSummary) outcome {
	if slices.Contains(status.RecentWebhookIDs, webhookID) {
		return outcomeDuplicate
	}
	if status.SubscriptionID != "" && subscriptionID != "" && status.SubscriptionID != subscriptionID {
		return outcomeUnknownObject
	}
	if !paymentSupersedes(status.LastPayment, payment) {
		return outcomeStale
	}
	before := status.DeepCopy()
	status.LastPayment = payment.DeepCopy()
	switch dodo.SubscriptionStatus(status.ProviderStatus) {
	case dodo.SubscriptionStatusOnHold, dodo.SubscriptionStatusFailed:
		providerstate.SetProviderConditions(status, generation)
	}
	return finishSubscription(status, before, webhookID)
}

// paymentSupersedes says whether incoming should replace current as the subscription's
// last payment: a newer payment (by creation time, then ID, so every delivery order picks
// the same one), or the same payment reaching a settled status. A settled payment never
// goes back to an in-flight one.
func paymentSupersedes(current *billingv1alpha1.PaymentSummary, incoming billingv1alpha1.PaymentSummary) bool {
	if current == nil {
		return true
	}
	if current.PaymentID == incoming.PaymentID {
		return settledRank(incoming.Status) >= settledRank(current.Status)
	}
	currentAt, incomingAt := timeOf(current.At), timeOf(incoming.At)
	if !incomingAt.Equal(currentAt) {
		return incomingAt.After(currentAt)
	}
	return incoming.PaymentID > current.PaymentID
}

func settledRank(status string) int {
	if dodo.PaymentStatus(status).IsTerminal() {
		return 1
	}
	return 0
}

// paymentSummaryOf is the lastPayment entry for a payment event. Times are cut to whole
// seconds, the precision status keeps, so comparisons agree before and after a round trip.
func paymentSummaryOf(payment *dodo.Payment, status dodo.PaymentStatus) billingv1alpha1.PaymentSummary {
	summary := billingv1alpha1.PaymentSummary{PaymentID: payment.PaymentID, Status: string(status)}
	if payment.ErrorCode != nil {
		summary.DeclineCode = *payment.ErrorCode
	}
	if !payment.CreatedAt.IsZero() {
		summary.At = secondsTime(payment.CreatedAt)
	}
	return summary
}

// finishSubscription decides between a write and a content duplicate: an event that
// changes nothing but the bookkeeping (a redelivery under a new webhook-id, or a
// subscription.updated carrying the state already mirrored at the same time) is not
// written.
func finishSubscription(status, before *billingv1alpha1.SubscriptionStatus, webhookID string) outcome {
	if sameSubscriptionContent(before, status) {
		*status = *before
		return outcomeDuplicate
	}
	status.RecentWebhookIDs, _ = providerstate.RememberWebhookID(status.RecentWebhookIDs, webhookID)
	return outcomeApplied
}

func sameSubscriptionContent(a, b *billingv1alpha1.SubscriptionStatus) bool {
	strip := func(s *billingv1alpha1.SubscriptionStatus) *billingv1alpha1.SubscriptionStatus {
		c := s.DeepCopy()
		c.RecentWebhookIDs = nil
		if c.LastWebhookEvent != nil {
			c.LastWebhookEvent = &billingv1alpha1.WebhookEventRef{Timestamp: c.LastWebhookEvent.Timestamp,
				SubsecondNanos: c.LastWebhookEvent.SubsecondNanos}
		}
		return c
	}
	return sameJSON(strip(a), strip(b))
}

// sameJSON compares two values as the API server would store them (metav1.Time keeps
// whole seconds), so a difference that would not survive the write does not cause one.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func secondsTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &mt
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}
