package subscription

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo/dodofake"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
)

// harness is one test's world: a namespace, a simulator on its own fake clock behind real
// HTTP, the typed client, and a reconciler on a fake clock that the test advances.
type harness struct {
	*controllertest.World
	api       recordingAPI
	reconcile *Reconciler
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	w := controllertest.New(t, env.Client, "sub", simulator.Config{})
	h := &harness{World: w, api: recordingAPI{dodofake.New(w.Client)}}
	h.reconcile = h.newReconciler()
	return h
}

// newReconciler builds a reconciler with no memory of earlier ones: a restarted operator.
func (h *harness) newReconciler() *Reconciler {
	return &Reconciler{Client: env.Client, API: h.api, Recorder: h.Recorder, Clock: h.Clock,
		Options: Options{ResyncInterval: time.Hour, CreateSettle: 30 * time.Second}.withDefaults()}
}

func (h *harness) subscription(name string, mutate ...func(*billingv1alpha1.Subscription)) *billingv1alpha1.Subscription {
	sub := &billingv1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: h.NS},
		Spec: billingv1alpha1.SubscriptionSpec{
			ProductID: "pdt_sim_basic", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: name + "@example.com", Name: name},
			Billing:  billingv1alpha1.BillingAddress{Country: "US"},
		},
	}
	for _, m := range mutate {
		m(sub)
	}
	if err := env.Client.Create(h.Ctx, sub); err != nil {
		h.T.Fatal(err)
	}
	return sub
}

// run reconciles once and returns the result.
func (h *harness) run(name string) (ctrl.Result, error) {
	h.T.Helper()
	return h.reconcile.Reconcile(h.Ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.NS, Name: name}})
}

// settle reconciles until the controller has nothing to do before its next resync (or
// waits for a person: a stall, a pause).
func (h *harness) settle(name string) {
	h.T.Helper()
	for i := range 8 {
		res, err := h.run(name)
		if err != nil {
			h.T.Fatalf("reconcile %d: %v", i, err)
		}
		if res.RequeueAfter >= 50*time.Minute || (i > 0 && res.IsZero()) {
			return
		}
	}
}

func (h *harness) get(name string) *billingv1alpha1.Subscription {
	return controllertest.Get(h.Base, name, &billingv1alpha1.Subscription{})
}

func (h *harness) update(name string, mutate func(*billingv1alpha1.Subscription)) {
	h.T.Helper()
	sub := h.get(name)
	mutate(sub)
	if err := env.Client.Update(h.Ctx, sub); err != nil {
		h.T.Fatal(err)
	}
}

// simSubscriptions are the simulator's subscriptions stamped for the object.
func (h *harness) simSubscriptions(sub *billingv1alpha1.Subscription) []simulator.SubscriptionState {
	var out []simulator.SubscriptionState
	for _, s := range h.Sim.State().Subscriptions {
		if s.Metadata["k8s_uid"] == string(sub.UID) {
			out = append(out, s)
		}
	}
	return out
}

func (h *harness) expectCondition(sub *billingv1alpha1.Subscription, conditionType, status, reason string) {
	h.T.Helper()
	controllertest.ExpectCondition(h.T, sub.Status.Conditions, conditionType, status, reason)
}

func (h *harness) drainEvents() []string { return eventstest.Drain(h.Recorder) }

func (h *harness) expectEvent(substr string) {
	h.T.Helper()
	if all := h.drainEvents(); eventstest.Count(all, substr) == 0 {
		h.T.Fatalf("no event contains %q; events: %q", substr, all)
	}
}

// recordingAPI is the reconciler's Dodo: the simulator's client behind a fake that counts
// the calls and can stop the process after one.
type recordingAPI struct{ *dodofake.Fake }

// snapshot is the calls so far by method (Counts).
func (r recordingAPI) snapshot() map[string]int { return r.Counts() }

// runCrashing reconciles once, expecting the process to die in a call (CrashAfterNext), and
// then starts a new reconciler with no memory of the first: a restarted operator.
func (h *harness) runCrashing(name string) {
	h.T.Helper()
	if !dodofake.Crashed(func() { _, _ = h.run(name) }) {
		h.T.Fatal("the reconcile did not crash")
	}
	h.api.After = nil
	h.reconcile = h.newReconciler()
}
