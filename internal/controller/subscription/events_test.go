package subscription

import (
	"strings"
	"testing"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// TestExpiredPaymentLinkIsAWarningEventOnce: the link's expiry is a money state a person must
// act on (a new object for a new link), so it is told as a Warning, once.
func TestExpiredPaymentLinkIsAWarningEventOnce(t *testing.T) {
	h := newHarness(t)
	h.subscription("expiring", withPaymentLink)
	h.settle("expiring")
	got := h.get("expiring")
	if got.Status.PaymentLinkExpiresAt == nil {
		t.Fatalf("no link expiry in status: %+v", got.Status)
	}
	h.drainEvents()
	h.Clock.SetTime(got.Status.PaymentLinkExpiresAt.Add(1))
	for _, value := range []string{"first", "second"} { // two reconciles after the expiry
		h.update("expiring", func(s *billingv1alpha1.Subscription) {
			s.Annotations = map[string]string{billingv1alpha1.AnnotationReconcileRequestedAt: value}
		})
		h.settle("expiring")
	}
	h.expectCondition(h.get("expiring"), billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonPaymentLinkExpired)
	warnings := 0
	for _, e := range h.drainEvents() {
		if strings.HasPrefix(e, "Warning PaymentLinkExpired The payment link expired at") {
			warnings++
		}
	}
	if warnings != 1 {
		t.Fatalf("%d PaymentLinkExpired warnings, want 1", warnings)
	}
}
