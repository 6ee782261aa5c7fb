package simulator

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// TestConcurrentClientsAndClock runs creates, charges, reads and clock
// advances at once (meaningful under -race) and checks nothing was lost or
// doubled.
func TestConcurrentClientsAndClock(t *testing.T) {
	h := newHarness(t)
	const workers, perWorker = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				errs <- concurrentRound(h, fmt.Sprintf("w%d-%d@example.com", w, i))
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				h.sim.Advance(time.Second)
				_ = h.sim.State()
			}
		}
	}()
	wg.Wait()
	close(done)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	h.sim.Advance(DefaultSettleDelay)
	state := h.sim.State()
	assertEqual(t, "subscriptions", len(state.Subscriptions), workers*perWorker)
	assertEqual(t, "payments (mandate + one charge each)", len(state.Payments), 2*workers*perWorker)
	for _, p := range state.Payments {
		assertEqual(t, "settled "+p.PaymentID, *p.Status, dodo.PaymentStatusSucceeded)
	}
	h.flush()
	seen := map[string]bool{}
	for _, w := range h.hook.received() {
		if seen[w.ID] {
			t.Fatalf("webhook %s delivered twice without the duplicate fault", w.ID)
		}
		seen[w.ID] = true
	}
	assertEqual(t, "webhooks", len(seen), 3*workers*perWorker)
}

func concurrentRound(h *harness, email string) error {
	status, raw := h.call(http.MethodPost, "/subscriptions", onDemandReq(email))
	if status != http.StatusOK {
		return fmt.Errorf("create: %d %s", status, raw)
	}
	var resp dodo.CreateSubscriptionResponse
	if err := jsonUnmarshal(raw, &resp); err != nil {
		return err
	}
	if status, raw = h.call(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 100}); status != http.StatusOK {
		return fmt.Errorf("charge: %d %s", status, raw)
	}
	if status, _ = h.call(http.MethodGet, "/subscriptions?page_size=100", nil); status != http.StatusOK {
		return fmt.Errorf("list: %d", status)
	}
	return nil
}

// TestCloseStopsEveryGoroutine closes a simulator with deliveries waiting
// for retries and checks its workers, timers and scanner are gone.
func TestCloseStopsEveryGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	sim, err := New(Config{
		APIKeys: []string{testAPIKey}, ScanInterval: time.Millisecond, WebhookWorkers: 3,
		WallClock: testingclock.NewFakeClock(time.Now()),
		// Nothing listens on port 1: every attempt fails at once.
		WebhookEndpoints: []WebhookEndpoint{{URL: "http://127.0.0.1:1/hook", Secret: testSecret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.createSubscription(newSubReq("pdt_sim_basic", "close@example.com"), "http://x"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = sim.WaitForWebhooks(ctx, func(records []DeliveryRecord) bool {
		return len(records) == 3 && records[0].NextAttemptAt != nil && records[1].NextAttemptAt != nil && records[2].NextAttemptAt != nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range sim.Deliveries() {
		assertEqual(t, "dropped on close", r.Status, DeliveryDropped)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if now := runtime.NumGoroutine(); now > before {
		t.Fatalf("%d goroutines after Close, %d before", now, before)
	}
}
