package main

import (
	"context"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// drainResult is the delivery of the webhooks the seeding queued (a subscription.active
// and more per created subscription) to the webhook receiver, which answers only once
// it has stored what the webhook says: an empty queue means every event is applied.
type drainResult struct {
	// queued is how many deliveries were pending when the seeding ended; delivered and
	// failed count every delivery of the run by then (failed: every retry failed).
	queued, delivered, failed int
	// took is from the end of the seeding to an empty queue; waited is how long the
	// idle measurement waited for it after the operator's first scan.
	took, waited time.Duration
	err          error
}

// startDrain waits in the background, for up to an hour, until the simulator has no
// webhook delivery pending.
func startDrain(ctx context.Context, sim *harness.SimServer) <-chan drainResult {
	start := time.Now()
	res := drainResult{queued: countDeliveries(sim.Deliveries(), simulator.DeliveryPending)}
	out := make(chan drainResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		res.err = sim.Flush(ctx)
		res.took = time.Since(start)
		records := sim.Deliveries()
		res.delivered = countDeliveries(records, simulator.DeliveryDelivered)
		res.failed = countDeliveries(records, simulator.DeliveryFailed)
		out <- res
	}()
	return out
}

func countDeliveries(records []simulator.DeliveryRecord, status simulator.DeliveryStatus) int {
	n := 0
	for _, r := range records {
		if r.Status == status {
			n++
		}
	}
	return n
}
