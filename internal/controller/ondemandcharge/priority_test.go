package ondemandcharge

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// TestChargeCallsGoFirstInTheBudget: the charge and the read that learns its outcome are
// served in the critical class, ahead of the subscriptions' background reads (issue 15).
func TestChargeCallsGoFirstInTheBudget(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("usage", "usage@example.com")
	var mu sync.Mutex
	classes := map[string]string{}
	note := func(ctx context.Context, method string) {
		p, ok := dodo.PriorityFrom(ctx)
		mu.Lock()
		defer mu.Unlock()
		if !ok {
			classes[method] = "none"
		} else if classes[method] == "" || classes[method] == p.String() {
			classes[method] = p.String()
		} else {
			classes[method] = "mixed"
		}
	}
	passOn := h.api.Client
	h.api.ChargeFn = func(ctx context.Context, id string, req dodo.ChargeRequest) (*dodo.ChargeResponse, error) {
		note(ctx, "Charge")
		return passOn.Charge(ctx, id, req)
	}
	h.api.GetPaymentFn = func(ctx context.Context, id string) (*dodo.Payment, error) {
		note(ctx, "GetPayment")
		return passOn.GetPayment(ctx, id)
	}
	h.charge("nov", "usage", 2500)
	h.settle("nov")
	h.settleAfter(2*time.Minute, "nov")
	h.expectSucceeded("nov", 1)
	mu.Lock()
	defer mu.Unlock()
	for _, method := range []string{"Charge", "GetPayment"} {
		if classes[method] != "critical" {
			t.Errorf("%s served as %q, want critical (all: %v)", method, classes[method], classes)
		}
	}
}
