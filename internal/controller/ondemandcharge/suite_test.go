package ondemandcharge

import (
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/subscription"
	"github.com/dodo-operator/dodo-operator/internal/dodo/dodofake"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
)

// harness: a namespace, the simulator on a fake clock behind real HTTP, the typed client,
// the Subscription reconciler (to make an on-demand subscription real) and the charge
// reconciler, both on one fake clock the test advances.
type harness struct {
	*controllertest.World
	api     *dodofake.Fake // counts the charge controller's calls
	subs    *subscription.Reconciler
	charges *Reconciler
}

func newHarness(t *testing.T, simConfig ...func(*simulator.Config)) *harness {
	t.Helper()
	// A seed of its own gives each test's simulator its own IDs: the caps count customers
	// across the whole (shared) API server.
	cfg := simulator.Config{Seed: uint64(rand.Int())}
	for _, mutate := range simConfig {
		mutate(&cfg)
	}
	w := controllertest.New(t, env.Client, "odc", cfg)
	h := &harness{World: w, api: dodofake.New(w.Client)}
	h.subs = &subscription.Reconciler{Client: env.Client, API: w.Client, Clock: h.Clock,
		Options: subscription.Options{ResyncInterval: time.Hour, CreateSettle: time.Second}}
	h.charges = h.newReconciler()
	return h
}

// newReconciler is a freshly started operator process: no memory of earlier ones.
func (h *harness) newReconciler() *Reconciler {
	return &Reconciler{Client: env.Client, API: h.api, Recorder: h.Recorder, Clock: h.Clock,
		// Tests share one API server, where other tests' charges stay in flight: the
		// account cap would count them, so only the caps test sets a real one.
		Options: Options{OutcomeTimeout: time.Minute, Settle: 30 * time.Second, MaxInFlight: 1000}.withDefaults()}
}

// onDemandSubscription creates an active on-demand subscription for the email.
func (h *harness) onDemandSubscription(name, email string) {
	h.T.Helper()
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: h.NS},
		Spec: billingv1alpha1.SubscriptionSpec{ProductID: "pdt_sim_on_demand", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: email}, Billing: billingv1alpha1.BillingAddress{Country: "US"},
			OnDemand: &billingv1alpha1.OnDemandSpec{MandateOnly: true}, PaymentLink: ptr.To(true)}}
	if err := env.Client.Create(h.Ctx, sub); err != nil {
		h.T.Fatal(err)
	}
	h.refreshSubscription(name)
	if err := h.Sim.CompleteCheckout(h.getSub(name).Status.SubscriptionID, "4242424242424242"); err != nil {
		h.T.Fatal(err)
	}
	h.refreshSubscription(name)
	if got := h.getSub(name); got.Status.ProviderStatus != "active" {
		h.T.Fatalf("on-demand subscription is %q", got.Status.ProviderStatus)
	}
}

// refreshSubscription lets the Subscription controller read Dodo now (the webhook receiver
// does this in production).
func (h *harness) refreshSubscription(name string) {
	h.T.Helper()
	sub := h.getSub(name)
	if sub.Annotations == nil {
		sub.Annotations = map[string]string{}
	}
	sub.Annotations[billingv1alpha1.AnnotationReconcileRequestedAt] = strconv.FormatInt(h.Clock.Now().UnixNano(), 10) + rand.String(3)
	if err := env.Client.Update(h.Ctx, sub); err != nil {
		h.T.Fatal(err)
	}
	for range 4 {
		if _, err := h.subs.Reconcile(h.Ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.NS, Name: name}}); err != nil {
			h.T.Fatal(err)
		}
	}
}

func (h *harness) getSub(name string) *billingv1alpha1.Subscription {
	return controllertest.Get(h.Base, name, &billingv1alpha1.Subscription{})
}

func (h *harness) charge(name, subName string, amount int64) {
	h.T.Helper()
	c := &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: h.NS},
		Spec: billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: subName},
			Amount: amount, Currency: "USD"}}
	if err := env.Client.Create(h.Ctx, c); err != nil {
		h.T.Fatal(err)
	}
}

func (h *harness) get(name string) *billingv1alpha1.OnDemandCharge {
	return controllertest.Get(h.Base, name, &billingv1alpha1.OnDemandCharge{})
}

// settle reconciles the charge until it asks for nothing immediate.
func (h *harness) settle(name string) ctrl.Result {
	h.T.Helper()
	var res ctrl.Result
	for i := range 8 {
		var err error
		res, err = h.charges.Reconcile(h.Ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.NS, Name: name}})
		if err != nil {
			h.T.Fatalf("reconcile %d: %v", i, err)
		}
		if i > 0 && res.RequeueAfter != requeueNow && res.RequeueAfter != time.Second {
			break
		}
	}
	return res
}

// settleAfter moves time on by d, then settles the charge.
func (h *harness) settleAfter(d time.Duration, name string) {
	h.T.Helper()
	h.passTime(d)
	h.settle(name)
}

// chargeAndSettle creates the charge and reconciles it until its first payment settled
// (no webhook here: the fallback read two minutes on decides).
func (h *harness) chargeAndSettle(name, subName string, amount int64) {
	h.T.Helper()
	h.charge(name, subName, amount)
	h.settle(name)
	h.settleAfter(2*time.Minute, name)
}

// passTime moves both clocks and lets the simulator settle what fell due.
func (h *harness) passTime(d time.Duration) {
	h.SimClock.Step(d)
	h.Sim.ProcessDue()
	h.Clock.Step(d)
}

// payments are the simulator's payments stamped with the charge key.
func (h *harness) payments(chargeKey string) []simulator.PaymentState {
	var out []simulator.PaymentState
	for _, p := range h.Sim.State().Payments {
		if p.Metadata["k8s_charge_key"] == chargeKey {
			out = append(out, p)
		}
	}
	return out
}

// expectSucceeded: the charge succeeded after chargeCalls Charge calls, with one payment
// at Dodo.
func (h *harness) expectSucceeded(name string, chargeCalls int) *billingv1alpha1.OnDemandCharge {
	h.T.Helper()
	c := h.get(name)
	h.expectCondition(c, billingv1alpha1.ConditionSucceeded, "True", billingv1alpha1.ReasonCharged)
	if n, paid := h.api.Count("Charge"), len(h.payments(name)); n != chargeCalls || paid != 1 {
		h.T.Fatalf("charge calls %d, payments %d; want %d and 1", n, paid, chargeCalls)
	}
	return c
}

func (h *harness) expectCondition(c *billingv1alpha1.OnDemandCharge, conditionType, status, reason string) {
	h.T.Helper()
	controllertest.ExpectCondition(h.T, c.Status.Conditions, conditionType, status, reason)
}
