package webhookreceiver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
)

// simSeeds gives every simulator its own IDs: the tests share one API server and cache.
var simSeeds atomic.Uint64

// simHarness runs the payments simulator on a fake business clock; its webhooks go over
// real HTTP to endpoint, signed with testSecret at the fixture's (fake) wall clock.
type simHarness struct {
	t   *testing.T
	sim *simulator.Simulator
	api *dodo.Client
}

func newSimHarness(t *testing.T, f *fixture, endpoint http.Handler) *simHarness {
	t.Helper()
	hook := httptest.NewServer(endpoint)
	t.Cleanup(hook.Close)
	sim, api := simtest.Start(t, simulator.Config{Clock: testingclock.NewFakePassiveClock(testStart), WallClock: f.clock,
		Seed: simSeeds.Add(1), WebhookWorkers: 1, WebhookEndpoints: []simulator.WebhookEndpoint{{URL: hook.URL, Secret: testSecret}},
	}, simtest.Running())
	return &simHarness{t: t, sim: sim, api: api}
}

// flush waits until every webhook so far was delivered (answered 2xx).
func (h *simHarness) flush() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := h.sim.Flush(ctx); err != nil {
		h.t.Fatalf("webhooks not delivered: %v (deliveries: %+v)", err, h.sim.Deliveries())
	}
}

// lifecycleStep names the points where runLifecycle lets the caller look at status.
type lifecycleStep string

const (
	stepPending    lifecycleStep = "pending"
	stepActive     lifecycleStep = "active"
	stepOnHold     lifecycleStep = "on_hold"
	stepReactivate lifecycleStep = "reactivated"
)

// runLifecycle drives one subscription through pending -> active -> on_hold (a failed
// renewal when the trial ends on the simulator clock) -> active (a new payment method pays
// the dues), with only webhooks carrying the news to Kubernetes. The Subscription object
// is created, and its ID recorded, as the controller would. check runs after each step
// once every webhook was delivered.
func (h *simHarness) runLifecycle(f *fixture, name string, check func(lifecycleStep)) string {
	h.t.Helper()
	ctx := context.Background()
	obj := f.createSubscription(name)
	created, err := h.api.CreateSubscription(ctx, dodo.CreateSubscriptionRequest{
		ProductID: "pdt_sim_trial", Quantity: 1, Billing: dodo.BillingAddress{Country: "US"},
		Customer:    dodo.NewCustomer("ops+decline_insufficient_funds@example.com", "Ops", ""),
		PaymentLink: ptr.To(true), Metadata: stampOf(obj),
	})
	if err != nil {
		h.t.Fatalf("creating the subscription: %v", err)
	}
	f.recordSubscriptionID(name, created.SubscriptionID)
	check(stepPending)

	if err := h.sim.CompleteCheckout(created.SubscriptionID, "4242424242424242"); err != nil {
		h.t.Fatalf("completing the checkout: %v", err)
	}
	h.flush()
	check(stepActive)

	h.sim.Advance(14 * 24 * time.Hour) // the trial ends; the customer's card declines
	h.flush()
	check(stepOnHold)

	h.sim.Advance(time.Minute) // the customer comes back with a new card
	update, err := h.api.UpdatePaymentMethod(ctx, created.SubscriptionID, dodo.UseNewPaymentMethod(nil))
	if err != nil || update.PaymentLink == nil {
		h.t.Fatalf("update-payment-method: %v", err)
	}
	if err := h.sim.CompleteCheckout(path.Base(*update.PaymentLink), "5555555555554444"); err != nil {
		h.t.Fatalf("completing the payment-method link: %v", err)
	}
	h.sim.Advance(simulator.DefaultSettleDelay)
	h.flush()
	check(stepReactivate)
	return created.SubscriptionID
}

// recordedDelivery is one webhook as the endpoint received it.
type recordedDelivery struct {
	header http.Header
	body   []byte
}

// recorder is an endpoint that keeps deliveries and answers 200 without applying them.
type recorder struct {
	mu         sync.Mutex
	deliveries []recordedDelivery
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.deliveries = append(r.deliveries, recordedDelivery{header: req.Header.Clone(), body: body})
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *recorder) recorded() []recordedDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedDelivery(nil), r.deliveries...)
}

// resetStatus puts a Subscription's status back to what the controller wrote after its
// create call, forgetting every webhook.
func (f *fixture) resetStatus(name, subscriptionID string) {
	f.t.Helper()
	sub := f.subscription(name)
	sub.Status = billingv1alpha1.SubscriptionStatus{SubscriptionID: subscriptionID, ProviderStatus: "pending"}
	providerstate.SetProviderConditions(&sub.Status, sub.Generation)
	if err := env.Client.Status().Update(f.ctx, sub); err != nil {
		f.t.Fatalf("resetting status: %v", err)
	}
}
