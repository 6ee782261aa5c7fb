package kubectldodo

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/ondemandcharge"
	"github.com/dodo-operator/dodo-operator/internal/controller/subscription"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
	"github.com/dodo-operator/dodo-operator/internal/webhookreceiver"
)

// clockRecorder writes the controllers' Events to the API server as core/v1 Events stamped
// with the test's fake clock, so that `status` shows them at the times the controllers
// acted (the client-go recorder stamps wall time, months away from the fake clock).
type clockRecorder struct {
	c     client.Client
	clock *clocktesting.FakeClock
}

func (r *clockRecorder) Eventf(regarding runtime.Object, _ runtime.Object, eventType, reason, action, note string, args ...any) {
	obj, err := meta.Accessor(regarding)
	if err != nil {
		return
	}
	gvk, err := apiutil.GVKForObject(regarding, r.c.Scheme())
	if err != nil {
		return
	}
	at := metav1.NewTime(r.clock.Now())
	e := &corev1.Event{ObjectMeta: metav1.ObjectMeta{GenerateName: obj.GetName() + "-", Namespace: obj.GetNamespace()},
		InvolvedObject: corev1.ObjectReference{Kind: gvk.Kind, APIVersion: gvk.GroupVersion().String(),
			Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID()},
		Type: eventType, Reason: reason, Action: action, Message: fmt.Sprintf(note, args...), Count: 1,
		FirstTimestamp: at, LastTimestamp: at, Source: corev1.EventSource{Component: "dodo-operator"}}
	_ = r.c.Create(context.Background(), e)
}

// TestStatusOfStatesReachedByTheControllers runs the real Subscription and OnDemandCharge
// reconcilers against the payments simulator until a charge is declined with
// INSUFFICIENT_FUNDS: the charge is then RetryScheduled and its on-demand subscription
// on_hold. `kubectl dodo status` must read both as the controllers wrote them. The outputs
// (go test -run StatesReached -v) are the ones shown in docs/operations.md.
func TestStatusOfStatesReachedByTheControllers(t *testing.T) {
	w := newWorld(t)
	// The controllers stamp conditions with the wall clock (meta.SetStatusCondition), the
	// rest with this clock: starting it at the wall time keeps the two within the test's
	// length of each other.
	start := time.Now().UTC().Truncate(time.Minute)
	clock := clocktesting.NewFakeClock(start)
	sim, api := simtest.Start(t, simulator.Config{Clock: clock, WallClock: clock})
	recorder := &clockRecorder{c: w.c, clock: clock}
	deliver := startReceiver(t, w, sim, clock, recorder) // Events from the receiver too, and status.lastWebhookEvent
	subs := &subscription.Reconciler{Client: w.c, API: api, Recorder: recorder, Clock: clock,
		Options: subscription.Options{ResyncInterval: time.Hour, CreateSettle: 30 * time.Second,
			CreateAbsentAfter: 5 * time.Minute, CreateLookback: 24 * time.Hour}}
	charges := &ondemandcharge.Reconciler{Client: w.c, API: api, Recorder: recorder, Clock: clock,
		Options: ondemandcharge.Options{OutcomeTimeout: time.Minute, Settle: 30 * time.Second, AbsentAfter: 5 * time.Minute,
			SubscriptionWait: 10 * time.Minute, DeletionWait: time.Hour, MaxInFlightPerCustomer: 1, MaxInFlight: 1000}}
	reconcile := func(r interface {
		Reconcile(context.Context, ctrl.Request) (ctrl.Result, error)
	}, name string) {
		t.Helper()
		for range 4 {
			if _, err := r.Reconcile(w.ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: w.ns, Name: name}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	refresh := func(name string) { // what a webhook does in production: the controller reads Dodo now
		t.Helper()
		sub := &billingv1alpha1.Subscription{}
		w.get(sub, name)
		if sub.Annotations == nil {
			sub.Annotations = map[string]string{}
		}
		sub.Annotations[billingv1alpha1.AnnotationReconcileRequestedAt] = strconv.FormatInt(clock.Now().UnixNano(), 10)
		if err := w.c.Update(w.ctx, sub); err != nil {
			t.Fatal(err)
		}
		reconcile(subs, name)
	}

	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "acme-usage", Namespace: w.ns},
		Spec: billingv1alpha1.SubscriptionSpec{ProductID: "pdt_sim_on_demand", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: "ops+decline_insufficient_funds@acme.example"},
			Billing:  billingv1alpha1.BillingAddress{Country: "US"}, PaymentLink: ptr.To(true),
			OnDemand: &billingv1alpha1.OnDemandSpec{MandateOnly: true}}}
	if err := w.c.Create(w.ctx, sub); err != nil {
		t.Fatal(err)
	}
	refresh("acme-usage")
	w.get(sub, "acme-usage")
	if err := sim.CompleteCheckout(sub.Status.SubscriptionID, "4242424242424242"); err != nil {
		t.Fatal(err)
	}
	clock.Step(time.Minute)
	deliver()
	refresh("acme-usage")

	charge := &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Name: "usage-2026-11", Namespace: w.ns},
		Spec: billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: "acme-usage"},
			Amount: 2500, Currency: "USD"}}
	if err := w.c.Create(w.ctx, charge); err != nil {
		t.Fatal(err)
	}
	reconcile(charges, "usage-2026-11")
	clock.Step(2 * time.Minute)
	sim.ProcessDue()
	deliver()
	reconcile(charges, "usage-2026-11")
	refresh("acme-usage") // the declined charge put the subscription on hold
	reconcile(charges, "usage-2026-11")
	clock.Step(10 * time.Minute)

	out := w.runAt(clock.Now(), "status", "dsub", "acme-usage")
	mustContain(t, out, "Status:           on_hold", "OnHold   True   InsufficientFunds", "Next action (you)\n  Contact the customer")
	out = w.runAt(clock.Now(), "status", "odc", "usage-2026-11")
	mustContain(t, out, "Phase:            RetryScheduled", "(Dodo "+sub.Status.SubscriptionID+", on_hold)", "declined INSUFFICIENT_FUNDS", "Ready      False  RetryScheduled",
		"Next action (you)\n  Tell the customer before the next attempt")
	tree := w.runAt(clock.Now(), "tree", "acme-usage")
	mustContain(t, tree, "Subscription/acme-usage", "└─ OnDemandCharge/usage-2026-11")
}

// startReceiver runs the webhook receiver (as the sidecar does: a cache with its indexes,
// the real handler behind HTTP) as the simulator's webhook endpoint; deliver waits for
// the simulator's pending deliveries.
func startReceiver(t *testing.T, w *world, sim *simulator.Simulator, clock *clocktesting.FakeClock,
	recorder *clockRecorder) (deliver func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(w.ctx)
	t.Cleanup(cancel)
	e := apiServer(t)
	informers, err := cache.New(e.Config, cache.Options{Scheme: e.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := webhookreceiver.SetupIndexes(ctx, informers); err != nil {
		t.Fatal(err)
	}
	go func() { _ = informers.Start(ctx) }()
	if !informers.WaitForCacheSync(ctx) {
		t.Fatal("the receiver's cache did not sync")
	}
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receiver, err := webhookreceiver.New(webhookreceiver.Options{Secrets: webhookreceiver.Secrets{Primary: dodo.NewSecret(secret)},
		Client: w.c, Cache: informers, Clock: clock, Recorder: recorder, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(receiver)
	t.Cleanup(srv.Close)
	if err := sim.SetWebhookEndpoints([]simulator.WebhookEndpoint{{URL: srv.URL, Secret: secret}}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		time.Sleep(time.Second) // the cache sees the operator's last writes before Dodo's events arrive
		flushCtx, stop := context.WithTimeout(ctx, 20*time.Second)
		defer stop()
		// A delivery the receiver refused (503 while its cache lags) is retried on the fake
		// wall clock, which only the test moves: the controllers' reads still converge, so
		// the test goes on and says so.
		if err := sim.Flush(flushCtx); err != nil {
			t.Logf("webhook deliveries not all done: %v", err)
		}
	}
}

// runAt runs `kubectl dodo` with the given clock and logs its output.
func (w *world) runAt(at time.Time, args ...string) string {
	w.t.Helper()
	saved := now
	now = at
	defer func() { now = saved }()
	out, _, err := w.run("", args...)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Logf("$ kubectl dodo %s\n%s", strings.Join(args, " "), out)
	return out
}
