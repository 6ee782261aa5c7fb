package providerstate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func TestTransitionEvent(t *testing.T) {
	declined := &billingv1alpha1.PaymentSummary{PaymentID: "pay_1", DeclineCode: "INSUFFICIENT_FUNDS"}
	cases := map[string]struct {
		from, to  string
		ok        bool
		eventType string
		reason    string
	}{
		"Unchanged":          {"active", "active", false, "", ""},
		"Created":            {"", "pending", false, "", ""},
		"CreatedActive":      {"", "active", false, "", ""},
		"FirstSeenOnHold":    {"", "on_hold", true, corev1.EventTypeWarning, "SubscriptionOnHold"},
		"PaidLink":           {"pending", "active", true, corev1.EventTypeNormal, "SubscriptionActive"},
		"OnHold":             {"active", "on_hold", true, corev1.EventTypeWarning, "SubscriptionOnHold"},
		"Reactivated":        {"on_hold", "active", true, corev1.EventTypeNormal, "SubscriptionReactivated"},
		"MandateFailed":      {"pending", "failed", true, corev1.EventTypeWarning, "SubscriptionFailed"},
		"Cancelled":          {"active", "cancelled", true, corev1.EventTypeNormal, "SubscriptionCancelled"},
		"Expired":            {"active", "expired", true, corev1.EventTypeNormal, "SubscriptionExpired"},
		"UnknownIsNotTold":   {"active", "paused", false, "", ""},
		"ForgottenIsNotTold": {"active", "", false, "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, ok := TransitionEvent(tc.from, tc.to, declined)
			if ok != tc.ok || e.Type != tc.eventType || e.Reason != tc.reason {
				t.Fatalf("TransitionEvent = %+v %v", e, ok)
			}
			if ok && e.Note == "" {
				t.Fatal("an Event without a note")
			}
		})
	}
	if e, _ := TransitionEvent("active", "on_hold", declined); !strings.Contains(e.Note, "INSUFFICIENT_FUNDS") {
		t.Fatalf("the on_hold Event does not name the decline: %q", e.Note)
	}
}
