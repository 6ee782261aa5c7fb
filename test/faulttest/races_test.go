package faulttest

import (
	"fmt"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// The subscription.active webhook lands between the operator's create and its status
// write (a slow read in between, as under the client-side rate limit): the operator must
// still record the ID it got, without a lookup.
func TestCreateTimeWebhookDoesNotLoseTheID(t *testing.T) {
	opts := testOperator()
	opts.CreateSettle = 30 * time.Second // the default
	// The production resync: with the suite's 5 s, the slowed reads of every object earlier
	// tests left behind (hundreds in the long form) would starve this test's creates.
	opts.ResyncInterval = time.Hour
	s := newSuite(t, "race", &opts)
	if err := sys.Sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{
		simulator.RouteGetSubscription: {Latency: simulator.Duration(500 * time.Millisecond)}}}); err != nil {
		t.Fatal(err)
	}
	before := sys.Sim.Calls.Snapshot()
	m := newModel()
	for i := range 10 {
		s.addSubscription(m, harness.RegularSubscription(s.ns, fmt.Sprintf("s%02d", i), billingv1alpha1.DeletionPolicyCancel), 0)
	}
	start := time.Now()
	s.eventually("creation", 3*time.Minute, func() (bool, string) { return s.converged(m) })
	calls := sys.Sim.Calls.Snapshot().Sub(before)
	events := &eventsv1.EventList{}
	_ = sys.Client.List(s.ctx, events, client.InNamespace(s.ns))
	found := 0
	for _, ev := range events.Items {
		if ev.Reason == "Found" {
			found++
		}
	}
	t.Logf("10 creates took %s; list calls %d; Found events %d", time.Since(start), calls.Route(simulator.RouteListSubscriptions), found)
	if found > 0 || calls.Route(simulator.RouteListSubscriptions) > 0 {
		t.Fatalf("the operator lost %d subscription IDs it had been given and looked them up again", found)
	}
}

// After a change-plan that Dodo applies at once, Ready comes back at the first recheck
// (10 s), without waiting for the next resync (1h by default).
func TestPlanChangeReadyWithoutWaitingForTheResync(t *testing.T) {
	opts := testOperator()
	opts.ResyncInterval = time.Hour
	s := newSuite(t, "planpending", &opts)
	m := newModel()
	s.addSubscription(m, harness.RegularSubscription(s.ns, "p", billingv1alpha1.DeletionPolicyCancel), 0)
	s.eventually("creation", time.Minute, func() (bool, string) { return s.converged(m) })
	s.changePlan(m, "p")
	sent := time.Now()
	s.eventually("Ready after the plan change", time.Minute, func() (bool, string) {
		obj := &billingv1alpha1.Subscription{}
		if err := s.get("p", obj); err != nil {
			return false, err.Error()
		}
		ready := harness.ConditionOf(obj.Status.Conditions, billingv1alpha1.ConditionReady)
		inDodo := harness.SubscriptionsByUID(sys.Sim.State(), s.ns)[string(m.subs["p"].uid)][0]
		applied := inDodo.Quantity == 2 && ready.ObservedGeneration == obj.Generation &&
			obj.Status.LastPlanChangeRequest == nil && ready.Status == "True"
		return applied, fmt.Sprintf("Dodo quantity %d; Ready %s/%s for generation %d of %d",
			inDodo.Quantity, ready.Status, ready.Reason, ready.ObservedGeneration, obj.Generation)
	})
	t.Logf("Ready again %s after the plan change", time.Since(sent).Round(time.Second))
}
