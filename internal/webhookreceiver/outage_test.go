package webhookreceiver

import (
	"context"
	"errors"
	"net/http"
	"path"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// outage is a client wrapper that fails reads or status writes while switched on.
type outage struct {
	failReads, failWrites atomic.Bool
	writes                atomic.Int32
}

func (o *outage) client(t testing.TB) client.Client {
	t.Helper()
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return interceptor.NewClient(base, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if o.failReads.Load() {
				return apierrors.NewServiceUnavailable("injected outage")
			}
			return c.Get(ctx, key, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			o.writes.Add(1)
			if o.failWrites.Load() {
				return errors.New("dial tcp: connection refused (injected)")
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
}

// TestAPIServerOutageAnswers5xxAndTheRetryApplies: while the API server refuses writes,
// the simulator's deliveries get 503 and nothing is acknowledged; Dodo's retries (on the
// simulator's schedule, stepped on the fake wall clock) apply once it is back.
func TestAPIServerOutageAnswers5xxAndTheRetryApplies(t *testing.T) {
	broken := &outage{}
	f := newFixture(t, func(o *Options) { o.Client = broken.client(t) })
	h := newSimHarness(t, f, f.receiver)
	obj := f.createSubscription("outage")
	created, err := h.api.CreateSubscription(context.Background(), dodo.CreateSubscriptionRequest{
		ProductID: "pdt_sim_basic", Quantity: 1, Billing: dodo.BillingAddress{Country: "US"},
		Customer: dodo.NewCustomer("outage@example.com", "", ""), PaymentLink: ptr.To(true), Metadata: stampOf(obj),
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	f.recordSubscriptionID("outage", created.SubscriptionID)

	broken.failWrites.Store(true)
	if err := h.sim.CompleteCheckout(path.Base(*created.PaymentLink), "4242424242424242"); err != nil {
		t.Fatalf("checkout: %v", err)
	}
	h.waitAttempts(2) // the first attempt and Dodo's immediate retry both fail
	assertEqual(t, "status during the outage", f.subscription("outage").Status.ProviderStatus, "pending")
	for _, d := range h.sim.Deliveries() {
		for _, a := range d.Attempts {
			assertEqual(t, "answer during the outage", a.StatusCode, http.StatusServiceUnavailable)
		}
	}
	if f.total(outcomeError) < 2 {
		t.Fatalf("errors counted: %v", f.total(outcomeError))
	}

	broken.failWrites.Store(false)
	f.clock.Step(5 * time.Second) // the next retry, 5 s later
	h.flush()
	st := f.subscription("outage").Status
	assertEqual(t, "after the retry", conditionOf(st.Conditions, billingv1alpha1.ConditionActive), "True/Active")
	assertEqual(t, "last payment", st.LastPayment.Status, string(dodo.PaymentStatusSucceeded))
}

// waitAttempts waits until every delivery so far has at least n attempts.
func (h *simHarness) waitAttempts(n int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.sim.WaitForWebhooks(ctx, func(records []simulator.DeliveryRecord) bool {
		for _, r := range records {
			if len(r.Attempts) < n {
				return false
			}
		}
		return len(records) > 0
	})
	if err != nil {
		h.t.Fatalf("waiting for %d attempts: %v", n, err)
	}
}

// missingFromCache is the shared cache, except that Get finds nothing: a cache that has not
// seen the object yet, so the receiver must read the API server.
type missingFromCache struct{ client.Reader }

func (missingFromCache) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	return apierrors.NewNotFound(billingv1alpha1.GroupVersion.WithResource("subscriptions").GroupResource(), key.Name)
}

func TestReadOutageAnswers503AndChangesNothing(t *testing.T) {
	broken := &outage{}
	f := newFixture(t, func(o *Options) { o.Client, o.Cache = broken.client(t), missingFromCache{indexCache} })
	obj := f.createSubscription("reads")
	f.recordSubscriptionID("reads", "sub_reads")
	body := envelope(t, dodo.EventSubscriptionOnHold, testStart, subscriptionData("sub_reads", dodo.SubscriptionStatusOnHold, stampOf(obj)))
	broken.failReads.Store(true)
	f.mustDeliver("msg_reads", body, http.StatusServiceUnavailable)
	broken.failReads.Store(false)
	assertEqual(t, "status during the outage", f.subscription("reads").Status.ProviderStatus, "pending")
	assertEqual(t, "no write attempted", broken.writes.Load(), int32(0))
	f.mustDeliver("msg_reads", body, http.StatusOK)
	assertEqual(t, "after the retry", f.subscription("reads").Status.ProviderStatus, "on_hold")
	assertEqual(t, "errors", f.count(string(dodo.EventSubscriptionOnHold), outcomeError), 1.0)
}

func TestNotReadyAnswers503(t *testing.T) {
	var ready atomic.Bool
	f := newFixture(t, func(o *Options) { o.Ready = ready.Load })
	obj := f.createSubscription("early")
	f.recordSubscriptionID("early", "sub_early")
	body := envelope(t, dodo.EventSubscriptionActive, testStart, subscriptionData("sub_early", dodo.SubscriptionStatusActive, stampOf(obj)))
	if f.receiver.ReadyzCheck(nil) == nil {
		t.Fatal("ready before the cache synced")
	}
	f.mustDeliver("msg_early", body, http.StatusServiceUnavailable)
	ready.Store(true)
	assertEqual(t, "readyz", f.receiver.ReadyzCheck(nil), nil)
	f.mustDeliver("msg_early", body, http.StatusOK)
}
