package faulttest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// Webhook chaos settings (docs/dodo-api.md §5.4: deliveries repeat and arrive out of order).
const (
	chaosDuplicateRate   = 0.3
	chaosReorderRate     = 0.3
	chaosStatusWriteFail = 0.2
)

// TestWebhookChaos drives subscriptions and charges through their lives with the
// operator reading Dodo only once (resync 1h, charge outcome timeout 1h), so that every
// later change reaches Kubernetes through webhooks alone, while: 30% of deliveries are
// duplicated, 30% of batches are reordered, 20% of the receiver's status writes fail
// with 500 (half of them after the write was stored), and the receiver is SIGKILLed and
// restarted. In the end every delivery of the namespace must be delivered (none lost),
// and every status must equal the simulator's truth.
func TestWebhookChaos(t *testing.T) {
	opts := testOperator()
	opts.ResyncInterval, opts.ChargeOutcomeTimeout = time.Hour, time.Hour
	s := newSuite(t, "chaos", &opts)
	if err := sys.Sim.SetFaults(simulator.Faults{Seed: seed, WebhookDuplicateRate: chaosDuplicateRate,
		WebhookReorderRate: chaosReorderRate}); err != nil {
		t.Fatal(err)
	}
	sys.Proxy.SetStatusWriteFailRate(chaosStatusWriteFail)
	proxyBefore := sys.Proxy.Stats()
	charges := s.applyChaosWorkload()
	s.eventually("activation", 3*time.Minute, func() (bool, string) { return s.chargesSettled(charges) })
	// Trials end (the declining customers' renewals fail: on_hold), then a month passes.
	for _, step := range []time.Duration{4 * 24 * time.Hour, 31 * 24 * time.Hour} {
		sys.Sim.Advance(step)
		s.restartReceiverDuringDeliveries()
	}
	s.waitNamespaceDeliveries()
	s.eventually("status equals the simulator's truth", time.Minute, s.matchesTruth)
	stats := sys.Proxy.Stats()
	s.count("status writes failed before storing", stats.FailedBefore-proxyBefore.FailedBefore)
	s.count("status writes failed after storing", stats.FailedAfter-proxyBefore.FailedAfter)
	s.assertNoDuplicates("after the chaos")
	s.count("duplicates found", 0)
	s.report()
}

// applyChaosWorkload creates a mix: trials that renew, trials of declining customers
// (on_hold at the first renewal), plain monthly subscriptions, and on-demand
// subscriptions with one charge each (every other customer of those declines).
func (s *suite) applyChaosWorkload() []string {
	var charges []string
	for i := range chaosSubscriptions {
		name := fmt.Sprintf("w%03d", i)
		var sub *billingv1alpha1.Subscription
		switch i % 4 {
		case 0:
			sub = harness.SubscriptionFor(s.ns, name, harness.DecliningEmail(name), billingv1alpha1.DeletionPolicyCancel)
			sub.Spec.TrialPeriodDays = ptr.To[int32](3)
		case 1:
			sub = harness.RegularSubscription(s.ns, name, billingv1alpha1.DeletionPolicyCancel)
			sub.Spec.TrialPeriodDays = ptr.To[int32](3)
		case 2:
			sub = harness.RegularSubscription(s.ns, name, billingv1alpha1.DeletionPolicyCancel)
		default:
			email := name + harness.EmailDomain
			if i%8 == 7 {
				email = harness.DecliningEmail(name)
			}
			sub = harness.OnDemandSubscription(s.ns, name, email)
			s.create(harness.Charge(s.ns, name+"-charge", name, int64(300+i)))
			charges = append(charges, name+"-charge")
		}
		s.create(sub)
	}
	s.count("subscriptions", chaosSubscriptions)
	s.count("charges", len(charges))
	return charges
}

// chargesSettled reports whether every charge has an outcome (from webhooks alone).
func (s *suite) chargesSettled(names []string) (bool, string) {
	_, charges, err := s.list()
	if err != nil {
		return false, err.Error()
	}
	for _, name := range names {
		c := charges[name]
		if c == nil || (c.Status.Phase != billingv1alpha1.ChargePhaseSucceeded && c.Status.Phase != billingv1alpha1.ChargePhaseFailed) {
			return false, name + " has no outcome yet"
		}
	}
	return true, ""
}

// restartReceiverDuringDeliveries SIGKILLs the receiver at a seeded moment while the
// events of a clock step are being delivered, and starts it again.
func (s *suite) restartReceiverDuringDeliveries() {
	s.t.Helper()
	for range chaosReceiverRestarts {
		time.Sleep(s.jitter(0, 300*time.Millisecond))
		if err := sys.Receiver.Kill(); err != nil {
			s.t.Fatal(err)
		}
		s.count("receiver SIGKILLs", 1)
		if err := sys.Receiver.StartAndWait(s.ctx, time.Minute); err != nil {
			s.t.Fatal(err)
		}
	}
}

// waitNamespaceDeliveries waits until no delivery of this namespace's objects is pending,
// then fails if any was not delivered: a failed delivery is a lost event.
func (s *suite) waitNamespaceDeliveries() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 3*time.Minute)
	defer cancel()
	mine := s.namespaceObjectIDs()
	err := sys.Sim.WaitForWebhooks(ctx, func(records []simulator.DeliveryRecord) bool {
		for _, r := range records {
			if mine[r.ObjectID] && r.Status == simulator.DeliveryPending {
				return false
			}
		}
		return true
	})
	if err != nil {
		s.t.Fatalf("deliveries still pending: %v", err)
	}
	time.Sleep(2 * time.Second) // duplicates are queued right behind their original
	var lost []string
	events, attempts, duplicates, refused := 0, 0, 0, 0
	for _, r := range sys.Sim.Deliveries() {
		if !mine[r.ObjectID] {
			continue
		}
		events++
		if r.Status != simulator.DeliveryDelivered {
			lost = append(lost, fmt.Sprintf("%s %s %s", r.WebhookID, r.EventType, r.Status))
		}
		for _, a := range r.Attempts {
			attempts++
			switch {
			case a.Duplicate:
				duplicates++
			case a.Error != "" || a.StatusCode >= 300:
				refused++
			}
		}
	}
	s.count("events", events)
	s.count("delivery attempts", attempts)
	s.count("duplicate deliveries", duplicates)
	s.count("attempts refused or failed (retried)", refused)
	s.count("events lost", len(lost))
	if len(lost) > 0 {
		s.t.Fatalf("events lost: %s", strings.Join(lost, ", "))
	}
}

// namespaceObjectIDs are the Dodo subscriptions and payments of this namespace's objects.
func (s *suite) namespaceObjectIDs() map[string]bool {
	st := sys.Sim.State()
	ids := map[string]bool{}
	for _, subs := range harness.SubscriptionsByUID(st, s.ns) {
		for _, sub := range subs {
			ids[sub.SubscriptionID] = true
		}
	}
	for _, p := range st.Payments {
		if p.SubscriptionID != nil && ids[*p.SubscriptionID] {
			ids[p.PaymentID] = true
		}
	}
	return ids
}
