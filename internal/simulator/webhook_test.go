package simulator

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// waitRecords waits until cond holds for every delivery record.
func (h *harness) waitRecords(what string, cond func(DeliveryRecord) bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := h.sim.WaitForWebhooks(ctx, func(records []DeliveryRecord) bool {
		for _, r := range records {
			if !cond(r) {
				return false
			}
		}
		return len(records) > 0
	})
	if err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
}

func waitingForRetry(attempts int) func(DeliveryRecord) bool {
	return func(r DeliveryRecord) bool { return len(r.Attempts) == attempts && r.NextAttemptAt != nil }
}

// failFirst answers the first n attempts of each webhook with failed, the later ones
// with ok.
func failFirst(n, failed, ok int) func(attempt int, _ string) int {
	return func(attempt int, _ string) int {
		if attempt <= n {
			return failed
		}
		return ok
	}
}

// TestWebhookRetriesFollowScaledScheduleWithSameID fails three attempts:
// the retry comes immediately, then after 5 s and 5 min scaled by 0.5,
// always with the same webhook-id.
func TestWebhookRetriesFollowScaledScheduleWithSameID(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.WebhookTimeScale = 0.5 })
	h.hook.setRespond(failFirst(3, http.StatusInternalServerError, http.StatusNoContent))
	resp := h.create(newSubReq("pdt_sim_basic", "retry@example.com"))
	h.waitRecords("second failure", waitingForRetry(2))
	h.wall.Step(2500 * time.Millisecond)
	h.waitRecords("third failure", waitingForRetry(3))
	h.wall.Step(150 * time.Second)
	h.flush()

	records := h.sim.Deliveries()
	assertEqual(t, "records", len(records), 3)
	for _, r := range records {
		assertEqual(t, "status", r.Status, DeliveryDelivered)
		assertEqual(t, "attempts", len(r.Attempts), 4)
		gaps := []time.Duration{0, 2500 * time.Millisecond, 150 * time.Second}
		for i, gap := range gaps {
			assertEqual(t, "gap before attempt", r.Attempts[i+1].At.Sub(r.Attempts[i].At), gap)
		}
		assertEqual(t, "receiver saw one id four times", h.hook.attemptsOf(r.WebhookID), 4)
	}
	// Retries may overtake each other (as at Dodo): compare as a set.
	got := h.hook.typesFor(resp.SubscriptionID)
	slices.Sort(got)
	assertTypes(t, "delivered once each", got,
		[]string{"payment.succeeded", "subscription.active", "subscription.updated"})
}

func TestWebhookGivesUpAfterEightRetries(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.WallClock = clock.RealClock{}
		c.WebhookTimeScale = 1e-7 // the whole 27.6 h schedule in about 10 ms
	})
	h.hook.setRespond(func(int, string) int { return http.StatusBadGateway })
	h.create(newSubReq("pdt_sim_basic", "down@example.com"))
	h.flush()
	for _, r := range h.sim.Deliveries() {
		assertEqual(t, "status", r.Status, DeliveryFailed)
		assertEqual(t, "attempts", len(r.Attempts), 1+len(retrySchedule))
		assertEqual(t, "last status", r.Attempts[len(r.Attempts)-1].StatusCode, http.StatusBadGateway)
	}
}

func TestWebhookPayloadIsRenderedAtDelivery(t *testing.T) {
	h := newHarness(t)
	h.hook.setRespond(failFirst(2, http.StatusServiceUnavailable, http.StatusOK))
	resp := h.create(newSubReq("pdt_sim_basic", "late@example.com"))
	h.waitRecords("retry scheduled", waitingForRetry(2))
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"status": "cancelled"}, nil)
	h.waitRecords("cancel events waiting too", waitingForRetry(2))
	h.wall.Step(5 * time.Second)
	h.flush()
	for _, w := range h.hook.received() {
		if w.Event.Type == dodo.EventSubscriptionActive {
			assertEqual(t, "payload status at delivery", w.Status, "cancelled")
			assertEqual(t, "event time stays the emission time", w.Event.Timestamp, testStart)
			return
		}
	}
	t.Fatal("subscription.active not delivered")
}

func TestWebhookDuplicateFault(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.SetFaults(Faults{WebhookDuplicateRate: 1}); err != nil {
		t.Fatal(err)
	}
	h.create(newSubReq("pdt_sim_basic", "dup@example.com"))
	h.flush()
	seen := map[string]int{}
	for _, w := range h.hook.received() {
		seen[w.ID]++
	}
	assertEqual(t, "distinct events", len(seen), 3)
	for id, n := range seen {
		assertEqual(t, "deliveries of "+id, n, 2)
	}
	for _, r := range h.sim.Deliveries() {
		assertEqual(t, "recorded deliveries", r.Deliveries, 2)
	}
}

func TestWebhookReorderFault(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.WebhookWorkers = 1 })
	if err := h.sim.SetFaults(Faults{WebhookReorderRate: 1}); err != nil {
		t.Fatal(err)
	}
	resp := h.create(newSubReq("pdt_sim_basic", "reorder@example.com"))
	h.flush()
	assertTypes(t, "reversed batch", h.hook.typesFor(resp.SubscriptionID),
		[]string{"subscription.updated", "payment.succeeded", "subscription.active"})
}

func TestRemovingEndpointDropsItsDeliveries(t *testing.T) {
	h := newHarness(t)
	h.hook.setRespond(func(int, string) int { return http.StatusInternalServerError })
	h.create(newSubReq("pdt_sim_basic", "gone@example.com"))
	h.waitRecords("retry scheduled", waitingForRetry(2))
	if err := h.sim.SetWebhookEndpoints(nil); err != nil {
		t.Fatal(err)
	}
	h.flush()
	for _, r := range h.sim.Deliveries() {
		assertEqual(t, "status", r.Status, DeliveryDropped)
	}
	assertEqual(t, "endpoints", len(h.sim.WebhookEndpoints()), 0)
}

func TestEventsOfManySubscriptionsKeepPerSubscriptionOrder(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.WebhookWorkers = 3 })
	ids := make([]string, 0, 12)
	for i := range 12 {
		resp := h.create(onDemandReq("order" + string(rune('a'+i)) + "@example.com"))
		ids = append(ids, resp.SubscriptionID)
		h.mustCall(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 100}, nil)
	}
	h.sim.Advance(DefaultSettleDelay)
	h.flush()
	for _, id := range ids {
		assertTypes(t, "order of "+id, h.hook.typesFor(id),
			[]string{"subscription.active", "subscription.updated", "payment.succeeded"})
	}
}
