package simulator

import (
	"net/http"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func subPath(id string) string { return "/subscriptions/" + id }

func TestCancelNow(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_basic", "cancel@example.com"))
	h.sim.Advance(time.Hour)
	var sub dodo.Subscription
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{
		"status": "cancelled", "cancellation_feedback": "too_expensive",
	}, &sub)
	assertEqual(t, "status", sub.Status, dodo.SubscriptionStatusCancelled)
	assertEqual(t, "cancelled_at", *sub.CancelledAt, testStart.Add(time.Hour))
	assertEqual(t, "feedback", *sub.CancellationFeedback, "too_expensive")
	// Repeating the cancellation is a no-op, not an error.
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"status": "cancelled"}, nil)
	h.sim.Advance(60 * 24 * time.Hour)
	assertEqual(t, "no renewals", len(h.payments(resp.SubscriptionID)), 1)
	h.expectEvents(resp.SubscriptionID, 3,
		[]string{"subscription.cancelled", "subscription.updated"})
}

func TestCancelAtPeriodEnd(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_basic", "later@example.com"))
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"cancel_at_next_billing_date": true}, nil)
	h.sim.Advance(30*24*time.Hour - time.Second)
	assertEqual(t, "active until the end", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusActive)
	h.sim.Advance(time.Second)
	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "cancelled", sub.Status, dodo.SubscriptionStatusCancelled)
	assertEqual(t, "cancelled at", *sub.CancelledAt, testStart.AddDate(0, 1, 0))
	assertEqual(t, "no renewal charge", len(h.payments(resp.SubscriptionID)), 1)
	h.expectEvents(resp.SubscriptionID, 3,
		[]string{"subscription.updated", "subscription.cancelled", "subscription.updated"})
}

func TestPauseAndResumeShiftBilling(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_basic", "pause@example.com"))
	expires := *h.subscription(resp.SubscriptionID).ExpiresAt
	h.sim.Advance(10 * 24 * time.Hour)
	var paused dodo.Subscription
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"status": "paused"}, &paused)
	assertEqual(t, "paused", paused.Status, dodo.SubscriptionStatusPaused)
	assertEqual(t, "paused_at", *paused.PausedAt, testStart.AddDate(0, 0, 10))
	h.sim.Advance(40 * 24 * time.Hour) // past the original billing date
	assertEqual(t, "no renewal while paused", len(h.payments(resp.SubscriptionID)), 1)

	var resumed dodo.Subscription
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"status": "active"}, &resumed)
	pause := 40 * 24 * time.Hour
	assertEqual(t, "status", resumed.Status, dodo.SubscriptionStatusActive)
	assertEqual(t, "paused_at cleared", resumed.PausedAt == nil, true)
	assertEqual(t, "next billing shifted", resumed.NextBillingDate, testStart.AddDate(0, 1, 0).Add(pause))
	assertEqual(t, "expiry shifted", *resumed.ExpiresAt, expires.Add(pause))
	h.sim.Advance(20 * 24 * time.Hour)
	assertEqual(t, "renewal after resume", len(h.payments(resp.SubscriptionID)), 2)
	h.expectEvents(resp.SubscriptionID, 3, []string{
		"subscription.paused", "subscription.updated", "subscription.unpaused", "subscription.updated",
		"payment.succeeded", "subscription.renewed", "subscription.updated",
	})
}

func TestPatchFieldsAndMetadataReplace(t *testing.T) {
	h := newHarness(t)
	req := newSubReq("pdt_sim_basic", "fields@example.com")
	req.Metadata = dodo.Metadata{"a": "1", "b": "2"}
	resp := h.create(req)
	next := testStart.AddDate(0, 0, 5)
	var sub dodo.Subscription
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{
		"metadata": map[string]any{"c": "3"}, "tax_id": "DE123", "customer_name": "Renamed",
		"next_billing_date": next, "billing": map[string]any{"country": "DE", "city": "Berlin"},
	}, &sub)
	assertEqual(t, "metadata replaced", len(sub.Metadata), 1)
	assertEqual(t, "metadata value", sub.Metadata["c"], "3")
	assertEqual(t, "tax id", *sub.TaxID, "DE123")
	assertEqual(t, "customer name", sub.Customer.Name, "Renamed")
	assertEqual(t, "country", sub.Billing.Country, "DE")
	assertEqual(t, "next billing", sub.NextBillingDate, next)
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"tax_id": nil}, &sub)
	assertEqual(t, "tax id cleared", sub.TaxID == nil, true)
	// Unchanged values emit nothing.
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"metadata": map[string]any{"c": "3"}}, nil)
	h.sim.Advance(5 * 24 * time.Hour)
	assertEqual(t, "renewal at the moved date", h.payments(resp.SubscriptionID)[1].CreatedAt, next)
	h.expectEvents(resp.SubscriptionID, 3, []string{
		"subscription.updated", "subscription.updated",
		"payment.succeeded", "subscription.renewed", "subscription.updated",
	})
}

func TestExpiryAtEndOfTerm(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Products = []Product{{ID: "pdt_short", Price: 100, Currency: "USD", Interval: dodo.IntervalWeek,
			PeriodCount: 2, PeriodInterval: dodo.IntervalWeek}}
	})
	resp := h.create(newSubReq("pdt_short", "short@example.com"))
	h.sim.Advance(14 * 24 * time.Hour)
	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "expired", sub.Status, dodo.SubscriptionStatusExpired)
	assertEqual(t, "one renewal inside the term", len(h.payments(resp.SubscriptionID)), 2)
	h.wantError(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 100},
		http.StatusUnprocessableEntity, codeSubscriptionExpired)
}
