package providerstate

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestProviderConditions(t *testing.T) {
	declined := &billingv1alpha1.PaymentSummary{PaymentID: "pay_1", Status: "failed", DeclineCode: "INSUFFICIENT_FUNDS"}
	type want struct{ active, onHold, failed, activeReason, onHoldReason, failedReason string }
	cases := map[string]struct {
		status  string
		payment *billingv1alpha1.PaymentSummary
		want    want
	}{
		"NotObservedYet":     {"", nil, want{"Unknown", "Unknown", "Unknown", "NotObservedYet", "NotObservedYet", "NotObservedYet"}},
		"Pending":            {"pending", nil, want{"False", "False", "False", "Pending", "NotOnHold", "NotFailed"}},
		"Active":             {"active", nil, want{"True", "False", "False", "Active", "NotOnHold", "NotFailed"}},
		"OnHoldWithDecline":  {"on_hold", declined, want{"False", "True", "False", "OnHold", "InsufficientFunds", "NotFailed"}},
		"OnHoldNoPayment":    {"on_hold", nil, want{"False", "True", "False", "OnHold", "PaymentFailed", "NotFailed"}},
		"FailedWithDecline":  {"failed", declined, want{"False", "False", "True", "Failed", "NotOnHold", "InsufficientFunds"}},
		"FailedNoPayment":    {"failed", nil, want{"False", "False", "True", "Failed", "NotOnHold", "MandateFailed"}},
		"Cancelled":          {"cancelled", nil, want{"False", "False", "False", "Cancelled", "NotOnHold", "NotFailed"}},
		"UnknownFutureValue": {"past_due", nil, want{"False", "False", "False", "PastDue", "NotOnHold", "NotFailed"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ProviderConditions(tc.status, tc.payment)
			if len(got) != 3 {
				t.Fatalf("got %d conditions", len(got))
			}
			gotWant := want{string(got[0].Status), string(got[1].Status), string(got[2].Status), got[0].Reason, got[1].Reason, got[2].Reason}
			if diff := cmp.Diff(tc.want, gotWant, cmp.AllowUnexported(want{})); diff != "" {
				t.Fatalf("conditions (-want +got):\n%s", diff)
			}
			for _, c := range got {
				if c.Message == "" {
					t.Errorf("%s has no message", c.Type)
				}
			}
		})
	}
}

func TestOnHoldMessageNamesTheDeclineAndTheWayOut(t *testing.T) {
	got := ProviderConditions("on_hold", &billingv1alpha1.PaymentSummary{PaymentID: "pay_9", DeclineCode: "CARD_DECLINED"})[1]
	want := "A payment failed (payment pay_9 declined with CARD_DECLINED). Set spec.paymentMethod (a saved method or a new one) " +
		"to charge the dues and reactivate it."
	if got.Message != want {
		t.Fatalf("message %q, want %q", got.Message, want)
	}
}

func TestReasonFromCode(t *testing.T) {
	cases := map[string]string{
		"INSUFFICIENT_FUNDS": "InsufficientFunds", "on_hold": "OnHold", "active": "Active",
		"DO_NOT_HONOR": "DoNotHonor", "": "Unknown", "subscription.on_hold": "SubscriptionOnHold",
	}
	for in, want := range cases {
		if got := ReasonFromCode(in); got != want {
			t.Errorf("ReasonFromCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsStaleEvent(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	last := &billingv1alpha1.WebhookEventRef{ID: "msg_1", Type: "subscription.active", Timestamp: metav1.NewTime(t0)}
	cases := map[string]struct {
		last  *billingv1alpha1.WebhookEventRef
		event time.Time
		want  bool
	}{
		"NothingAppliedYet": {nil, t0, false},
		"Older":             {last, t0.Add(-time.Second), true},
		"SameInstant":       {last, t0, false},
		"Newer":             {last, t0.Add(time.Second), false},
	}
	for name, tc := range cases {
		if got := IsStaleEvent(tc.last, tc.event); got != tc.want {
			t.Errorf("%s: IsStaleEvent = %v, want %v", name, got, tc.want)
		}
	}
}

func TestRememberWebhookIDIsBoundedAndDetectsDuplicates(t *testing.T) {
	var ids []string
	for i := range MaxRecentWebhookIDs + 5 {
		var added bool
		ids, added = RememberWebhookID(ids, fmt.Sprintf("msg_%d", i))
		if !added {
			t.Fatalf("msg_%d reported as duplicate", i)
		}
	}
	if len(ids) != MaxRecentWebhookIDs || ids[0] != "msg_5" || ids[len(ids)-1] != fmt.Sprintf("msg_%d", MaxRecentWebhookIDs+4) {
		t.Fatalf("kept %d ids from %s to %s", len(ids), ids[0], ids[len(ids)-1])
	}
	if _, added := RememberWebhookID(ids, "msg_10"); added {
		t.Fatal("a remembered id was not reported as a duplicate")
	}
}

func TestMirrorSubscription(t *testing.T) {
	next := time.Date(2026, 12, 1, 13, 10, 0, 0, time.FixedZone("X", 3600))
	pm := "pm_1"
	sub := &dodo.Subscription{
		SubscriptionID: "sub_1", Status: dodo.SubscriptionStatusActive, Currency: "USD", RecurringPreTaxAmount: 3000,
		Customer: dodo.CustomerLimitedDetails{CustomerID: "cus_1"}, NextBillingDate: next, PaymentMethodID: &pm,
		CancelAtNextBillingDate: true,
	}
	var status billingv1alpha1.SubscriptionStatus
	MirrorSubscription(&status, sub)
	if status.SubscriptionID != "sub_1" || status.ProviderStatus != "active" || status.CustomerID != "cus_1" ||
		status.Currency != "USD" || *status.RecurringPreTaxAmount != 3000 || status.PaymentMethodID != "pm_1" ||
		!status.CancelAtNextBillingDate || status.PreviousBillingDate != nil || status.CancelledAt != nil {
		t.Fatalf("mirrored %+v", status)
	}
	if !status.NextBillingDate.Equal(&metav1.Time{Time: next}) || status.NextBillingDate.Location() != time.UTC {
		t.Fatalf("next billing date %v, want %v in UTC", status.NextBillingDate, next)
	}
}

func TestMirrorSubscriptionPlanAndNextBilling(t *testing.T) {
	next := time.Date(2026, 12, 1, 13, 10, 0, 0, time.UTC)
	for _, tt := range []struct {
		status   dodo.SubscriptionStatus
		wantNext bool
	}{
		{dodo.SubscriptionStatusActive, true},
		{dodo.SubscriptionStatusPending, false}, // unpaid: nothing bills until the customer pays
		{dodo.SubscriptionStatusOnHold, false},  // the dues come first
		{dodo.SubscriptionStatusCancelled, false},
		{dodo.SubscriptionStatusFailed, false},
	} {
		t.Run(string(tt.status), func(t *testing.T) {
			// A status copied from an active read keeps no stale date after a later read.
			status := billingv1alpha1.SubscriptionStatus{NextBillingDate: &metav1.Time{Time: next.AddDate(0, -1, 0)}}
			MirrorSubscription(&status, &dodo.Subscription{SubscriptionID: "sub_1", Status: tt.status,
				ProductID: "pdt_basic", Quantity: 3, NextBillingDate: next})
			if got := status.NextBillingDate != nil; got != tt.wantNext {
				t.Errorf("next billing date set = %v, want %v", got, tt.wantNext)
			}
			if status.ProductID != "pdt_basic" || status.Quantity != 3 {
				t.Errorf("plan %q x%d, want Dodo's pdt_basic x3", status.ProductID, status.Quantity)
			}
		})
	}
}
