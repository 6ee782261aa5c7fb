package sequencetest

import (
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// Scripted reproductions of the bugs TestRandomSequences found, each the shortest path
// to its violation, on the same harness and checks. They fail while the bug is there; the
// first four failed until commit 85120ab and now guard its fixes.

// scripted is a world with a fixed list lag, for a reproduction.
func scripted(t *testing.T, lag time.Duration) *world {
	t.Helper()
	st := &stats{faults: map[string]int{}, writes: map[string]int{}, stepKinds: map[string]int{}}
	w, err := newWorld(1, st, func(c *simulator.Config) { c.Pessimism.ListLag = lag })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	return w
}

// onDemand creates an active on-demand Subscription for the email (no payment link: the
// simulator saves a card at once) and lets the operator create it.
func (w *world) onDemand(t *testing.T, name, email string, mutate ...func(*subObject, *billingv1alpha1.SubscriptionSpec)) *subObject {
	t.Helper()
	o := &subObject{name: name, email: email, onDemand: true, policy: billingv1alpha1.DeletionPolicyOrphan,
		product: "pdt_sim_basic", quantity: 1, pmKeys: map[string]bool{}}
	spec := billingv1alpha1.SubscriptionSpec{ProductID: o.product, Quantity: 1, DeletionPolicy: o.policy,
		Customer: billingv1alpha1.CustomerSpec{Email: email, Name: name}, Billing: billingv1alpha1.BillingAddress{Country: "US"},
		OnDemand: &billingv1alpha1.OnDemandSpec{MandateOnly: true}}
	for _, m := range mutate {
		m(o, &spec)
	}
	if !w.createSubscriptionObject(o, spec) {
		t.Fatalf("creating %s", name)
	}
	w.runQueue(w.opClock.Now(), 20)
	if sub, _ := w.getSub(name); sub.Status.ProviderStatus != "active" {
		t.Fatalf("%s is %q, want active", name, sub.Status.ProviderStatus)
	}
	return o
}

func (w *world) charge(name, subRef string) *chargeObject {
	c := &chargeObject{name: name, subRef: subRef, key: name, spec: billingv1alpha1.OnDemandChargeSpec{
		SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: subRef}, Amount: 1500, Currency: "USD"}}
	w.createCharge(c)
	return c
}

func (w *world) expectViolation(t *testing.T, invariant string) {
	t.Helper()
	w.checkState()
	for _, v := range w.violations {
		t.Errorf("%s", v)
	}
	if len(w.violations) == 0 {
		t.Logf("fixed: no %s violation", invariant)
	}
}

// TestReproReplacedChargeIsChargedAgain: invariant 3. A charge that succeeded is deleted
// and created again under the same name (Argo CD Replace) while Dodo's payment list does
// not show its payment yet (list lag 2 min; the payment webhook made the first object's
// outcome known within seconds): the new object finds no earlier payment of its key and
// charges attempt 1 (retry_attempt 0) a second time.
func TestReproReplacedChargeIsChargedAgain(t *testing.T) {
	replaceCharge(t)
}

func replaceCharge(t *testing.T) {
	w := scripted(t, 2*time.Minute)
	w.onDemand(t, "s1", "c1@example.com")
	first := w.charge("k1", "s1")
	w.runQueue(w.opClock.Now(), 20) // attempt 1: payment made
	w.advance(5 * time.Second)      // it settles; its webhook arrives
	w.deliverAll()
	w.runQueue(w.opClock.Now(), 20) // Succeeded
	obj, _ := w.getCharge("k1")
	if obj.Status.Phase != billingv1alpha1.ChargePhaseSucceeded {
		t.Fatalf("k1 is %s", obj.Status.Phase)
	}
	first.deleted = true
	w.deletes++
	if err := env.Client.Delete(w.ctx, obj); err != nil {
		t.Fatal(err)
	}
	w.touch(obj)
	w.runQueue(w.opClock.Now(), 20) // finalizer removed
	if w.refreshPresence(); !first.gone {
		t.Fatal("k1 was not deleted")
	}
	w.advance(10 * time.Second)
	w.charge("k1", "s1") // the same object again
	w.runQueue(w.opClock.Now(), 20)
	w.expectViolation(t, "invariant 3")
}

// TestReproRefusedChargeLoops: invariant 7. The first charge is declined, which puts the
// Dodo subscription on_hold; before the Subscription hears of it (webhook delayed, no
// read yet), a second charge is refused with SUBSCRIPTION_INACTIVE. The controller asks
// to come back in a minute, but its two status writes (the attempt recorded, then
// removed) requeue it at once: Charge is sent again and again with no time passing.
func TestReproRefusedChargeLoops(t *testing.T) {
	w := scripted(t, 0)
	w.onDemand(t, "s1", "c1+decline_insufficient_funds@example.com")
	w.charge("k1", "s1")
	w.runQueue(w.opClock.Now(), 20)
	w.advance(5 * time.Second)                          // declined: on_hold in Dodo
	w.runQueue(w.opClock.Now().Add(11*time.Minute), 20) // k1 reads its outcome: retry scheduled
	w.charge("k2", "s1")
	w.runQueue(w.opClock.Now(), 40)
	w.expectViolation(t, "invariant 7")
}

// TestReproObserveOnlySubscriptionIsCharged: invariant 1 (ObserveOnly). A Subscription
// that adopts with managementPolicy ObserveOnly ("read only, never write") records the
// Dodo subscription, and an OnDemandCharge that references it charges through it.
func TestReproObserveOnlySubscriptionIsCharged(t *testing.T) {
	w := scripted(t, 0)
	old := w.onDemand(t, "s1", "c1@example.com")
	sub, _ := w.getSub("s1")
	id := sub.Status.SubscriptionID
	old.deleted = true
	w.deletes++
	if err := env.Client.Delete(w.ctx, sub); err != nil {
		t.Fatal(err)
	}
	w.touch(sub)
	w.runQueue(w.opClock.Now(), 20) // Orphan: let go
	w.onDemand(t, "a1", "", func(o *subObject, s *billingv1alpha1.SubscriptionSpec) {
		o.adopt, o.observeOnly = id, true
		s.Customer = billingv1alpha1.CustomerSpec{ID: sub.Status.CustomerID}
		s.Adopt = &billingv1alpha1.AdoptSpec{SubscriptionID: id}
		s.ManagementPolicy = billingv1alpha1.ManagementPolicyObserveOnly
	})
	w.charge("k1", "a1")
	w.runQueue(w.opClock.Now(), 20)
	w.expectViolation(t, "invariant 1")
}

// TestReproLookupTakesAnEarlierStampedSubscription: invariant 5. A subscription stamped
// with the object's UID exists already (created outside the operator with a copied
// stamp, 3 minutes earlier). The object's create is answered with a lost response; 30 s
// later (Settle) the lookup sees only the earlier subscription, the new one being still
// hidden by the 2-minute list lag, takes it as the one it created and never looks again:
// its real subscription stays active, unmanaged, and deletion (CancelAtPeriodEnd)
// schedules the cancellation of the other one.
func TestReproLookupTakesAnEarlierStampedSubscription(t *testing.T) {
	lookupWithStampedSubscription(t)
}

// lookupWithStampedSubscription creates a subscription stamped for s1 ahead of s1's own
// create, loses the create's answer, and lets the lookup run after lookupAfter.
func lookupWithStampedSubscription(t *testing.T) {
	const ahead, lookupAfter = 3 * time.Minute, 40 * time.Second
	w := scripted(t, 2*time.Minute)
	o := &subObject{name: "s1", email: "c1@example.com", onDemand: true, policy: billingv1alpha1.DeletionPolicyCancelAtPeriodEnd,
		product: "pdt_sim_basic", quantity: 1, pmKeys: map[string]bool{}}
	spec := billingv1alpha1.SubscriptionSpec{ProductID: o.product, Quantity: 1, DeletionPolicy: o.policy,
		Customer: billingv1alpha1.CustomerSpec{Email: o.email}, Billing: billingv1alpha1.BillingAddress{Country: "US"},
		OnDemand: &billingv1alpha1.OnDemandSpec{MandateOnly: true}}
	if !w.createSubscriptionObject(o, spec) {
		t.Fatal("creating s1")
	}
	w.stepForeignSubscriptionFor(o)
	w.advance(ahead)
	_, _, _ = w.reconcile(target{"sub", "s1"}) // finalizer
	w.armFaultKind(faultLostAnswer)
	_, _, _ = w.reconcile(target{"sub", "s1"}) // the create: committed, answer lost
	w.clearFaults()
	w.advance(lookupAfter)
	_, _, _ = w.reconcile(target{"sub", "s1"}) // the lookup
	sub, _ := w.getSub("s1")
	t.Logf("s1 records %s", sub.Status.SubscriptionID)
	o.deleted = true
	w.deletes++
	if err := env.Client.Delete(w.ctx, sub); err != nil {
		t.Fatal(err)
	}
	w.touch(sub)
	w.runQueue(w.opClock.Now().Add(10*time.Minute), 20)
	w.expectViolation(t, "invariant 5")
}
