//go:build repro

package faulttest

import (
	"fmt"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/faulttest/harness"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// The subscription.active webhook lands between the operator's create and its status
// write (a slow read in between, as under the client-side rate limit): the operator must
// still record the ID it got, without a lookup.
func TestReproCreateWebhookRace(t *testing.T) {
	opts := testOperator()
	opts.CreateSettle = 30 * time.Second // the default
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

// After a change-plan that Dodo applies at once, Ready should come back without waiting
// for the next resync (1h by default).
func TestReproPlanChangePendingUntilResync(t *testing.T) {
	opts := testOperator()
	opts.ResyncInterval = time.Hour
	s := newSuite(t, "planpending", &opts)
	m := newModel()
	s.addSubscription(m, harness.RegularSubscription(s.ns, "p", billingv1alpha1.DeletionPolicyCancel), 0)
	s.eventually("creation", time.Minute, func() (bool, string) { return s.converged(m) })
	s.changePlan(m, "p")
	time.Sleep(20 * time.Second)
	inDodo := harness.SubscriptionsByUID(sys.Sim.State(), s.ns)[string(m.subs["p"].uid)][0]
	obj := &billingv1alpha1.Subscription{}
	if err := s.get("p", obj); err != nil {
		t.Fatal(err)
	}
	ready := harness.ConditionOf(obj.Status.Conditions, billingv1alpha1.ConditionReady)
	t.Logf("Dodo quantity %d; Ready %s/%s", inDodo.Quantity, ready.Status, ready.Reason)
	if inDodo.Quantity == 2 && ready.Status != "True" {
		t.Fatalf("Dodo applied the plan change 20 s ago, but Ready is %s/%s until the next resync", ready.Status, ready.Reason)
	}
}
