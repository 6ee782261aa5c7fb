package sequencetest

import (
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// stepEditSpec changes quantity, product, payment method or deletion policy of a
// Subscription. A payment-method request key is never reused for an object, so that
// invariant 3 (one call per key) is exact.
func (w *world) stepEditSpec() bool {
	live := w.model.liveSubs()
	if len(live) == 0 {
		return false
	}
	o, r := pick(w, live), w.rng.IntN(100)
	if r < 55 && o.onDemand && w.rng.IntN(10) < 8 {
		// Dodo changes no plan of an on-demand subscription: plan edits go mostly elsewhere.
		for _, other := range live {
			if !other.onDemand {
				o = other
			}
		}
	}
	var what string
	var mutate func(*billingv1alpha1.Subscription)
	switch {
	case r < 35:
		q := int32(1 + w.rng.IntN(4))
		what, mutate = fmt.Sprintf("quantity %d", q), func(s *billingv1alpha1.Subscription) { s.Spec.Quantity = q }
	case r < 55:
		p := map[string]string{"pdt_sim_basic": "pdt_sim_pro", "pdt_sim_pro": "pdt_sim_basic"}[o.product]
		what, mutate = "product "+p, func(s *billingv1alpha1.Subscription) { s.Spec.ProductID = p }
	case r < 85:
		pm, key := w.newPaymentMethodRequest(o)
		what, mutate = "paymentMethod "+key, func(s *billingv1alpha1.Subscription) { s.Spec.PaymentMethod = pm }
	default:
		p := pick(w, deletionPolicies)
		what, mutate = fmt.Sprintf("deletionPolicy %q", p), func(s *billingv1alpha1.Subscription) { s.Spec.DeletionPolicy = p }
	}
	var stored billingv1alpha1.Subscription
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sub, ok := w.getSub(o.name)
		if !ok || sub.UID != o.uid {
			return fmt.Errorf("gone")
		}
		mutate(sub)
		if err := env.Client.Update(w.ctx, sub); err != nil {
			return err
		}
		stored = *sub
		return nil
	})
	w.logf("edit %s: %s%s", o.name, what, errSuffix(err))
	if err == nil {
		w.touch(&stored)
		w.model.setPlan(o, stored.Spec.ProductID, stored.Spec.Quantity)
		o.policy = stored.Spec.DeletionPolicy
		if pm := stored.Spec.PaymentMethod; pm != nil {
			o.pmKeys[paymentMethodKey(pm)] = true
		}
	}
	return true
}

// newPaymentMethodRequest is a saved method of the customer not asked for before, else a
// new-method link with a fresh token.
func (w *world) newPaymentMethodRequest(o *subObject) (*billingv1alpha1.PaymentMethodSpec, string) {
	if w.rng.IntN(2) == 0 {
		if sub, ok := w.getSub(o.name); ok && sub.Status.CustomerID != "" {
			for _, c := range w.sim.State().Customers {
				if c.ID != sub.Status.CustomerID {
					continue
				}
				for _, id := range c.PaymentMethodIDs {
					if !o.pmKeys["existing:"+id] {
						return &billingv1alpha1.PaymentMethodSpec{ExistingID: id}, "existing:" + id
					}
				}
			}
		}
	}
	token := fmt.Sprintf("tok%d", w.next())
	return &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: token}}, "new:" + token
}

func paymentMethodKey(pm *billingv1alpha1.PaymentMethodSpec) string {
	if pm.ExistingID != "" {
		return "existing:" + pm.ExistingID
	}
	return "new:" + pm.New.Token
}

// stepAdopt creates a Subscription that adopts an existing Dodo subscription: one whose
// owner is gone (deleted with Orphan, say; sometimes under the old object's name), which
// may be taken over, or one a live object owns, which must be refused.
func (w *world) stepAdopt() bool {
	if len(w.model.presentSubs()) >= maxPresent || len(w.model.order) == 0 {
		return false
	}
	var orphans, owned []string
	for _, id := range w.model.order {
		if w.objectExists(w.model.owner[id]) {
			owned = append(owned, id)
		} else {
			orphans = append(orphans, id)
		}
	}
	targets := owned
	if len(orphans) > 0 && (len(owned) == 0 || w.rng.IntN(10) < 6) {
		targets = orphans
		// Now and then an orphan another object adopts already: two adopters race.
		if adopted := w.adoptedOrphans(orphans); len(adopted) > 0 && w.rng.IntN(10) < 4 {
			targets = adopted
		}
	}
	id := pick(w, targets)
	var target *simulator.SubscriptionState
	for _, s := range w.sim.State().Subscriptions {
		if s.SubscriptionID == id {
			target = &s
		}
	}
	if target == nil {
		return false
	}
	o := w.adopterFor(id, target)
	if !w.createSubscriptionObject(o, w.adopterSpec(o, target)) {
		return false
	}
	w.logf("create Subscription %s (%s) adopting %s (%s, owner %s present=%v) observeOnly=%v policy=%q %s x%d",
		o.name, shortUID(o.uid), id, target.Status, w.describeUID(w.model.owner[id]), o.foreignAim, o.observeOnly,
		o.policy, o.product, o.quantity)
	return true
}

// adoptedOrphans are orphans that a present object names in spec.adopt.
func (w *world) adoptedOrphans(orphans []string) []string {
	var out []string
	for _, id := range orphans {
		for _, o := range w.model.presentSubs() {
			if o.adopt == id {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// adopterFor names the adopter: the previous owner's name when it is free (a re-created
// object), else a new one; the plan is the subscription's, or another one.
func (w *world) adopterFor(id string, target *simulator.SubscriptionState) *subObject {
	n := w.next()
	o := &subObject{name: fmt.Sprintf("a%d", n), adopt: id, onDemand: target.OnDemand, policy: pick(w, deletionPolicies),
		observeOnly: w.rng.IntN(100) < 15, product: target.ProductID, quantity: int32(target.Quantity),
		foreignAim: w.objectExists(w.model.owner[id]), pmKeys: map[string]bool{}}
	if prev := w.model.byUID[w.model.owner[id]]; prev != nil && w.model.subByName(prev.name) == nil && w.rng.IntN(10) < 4 {
		o.name = prev.name
	}
	if !o.onDemand && w.rng.IntN(10) < 3 {
		o.quantity++
	}
	return o
}

func (w *world) adopterSpec(o *subObject, target *simulator.SubscriptionState) billingv1alpha1.SubscriptionSpec {
	spec := billingv1alpha1.SubscriptionSpec{ProductID: o.product, Quantity: o.quantity,
		Customer: billingv1alpha1.CustomerSpec{ID: target.Customer.CustomerID},
		Billing:  billingv1alpha1.BillingAddress{Country: "US"}, DeletionPolicy: o.policy,
		Adopt: &billingv1alpha1.AdoptSpec{SubscriptionID: target.SubscriptionID}}
	if o.onDemand {
		spec.OnDemand = &billingv1alpha1.OnDemandSpec{MandateOnly: true}
	}
	if o.observeOnly {
		spec.ManagementPolicy = billingv1alpha1.ManagementPolicyObserveOnly
	}
	return spec
}

// stepForeignSubscription creates a subscription directly in Dodo, stamped for a live
// object: a target for adoptions that must be refused.
func (w *world) stepForeignSubscription() bool {
	present := w.model.presentSubs()
	if len(present) == 0 {
		return false
	}
	w.stepForeignSubscriptionFor(pick(w, present))
	return true
}

// stepForeignSubscriptionFor creates a subscription in Dodo stamped for b.
func (w *world) stepForeignSubscriptionFor(b *subObject) {
	n := w.next()
	resp, err := w.raw.CreateSubscription(w.ctx, dodo.CreateSubscriptionRequest{ProductID: "pdt_sim_basic", Quantity: 1,
		Customer: dodo.NewCustomer(fmt.Sprintf("f%d@example.com", n), "foreign", ""),
		Billing:  dodo.BillingAddress{Country: "US"}, OnDemand: &dodo.OnDemand{MandateOnly: true},
		Metadata: stamp.Subscription(nil, stamp.Identity{Namespace: w.ns, Name: b.name, UID: b.uid})})
	if err != nil {
		w.logf("foreign subscription refused: %v", err)
		return
	}
	id := resp.SubscriptionID
	w.model.foreign[id] = true
	w.model.owner[id] = b.uid
	w.model.order = append(w.model.order, id)
	w.logf("foreign subscription %s stamped for %s (%s)", id, b.name, shortUID(b.uid))
}

// stepCreateCharge charges an on-demand Subscription (now and then one that is not),
// sometimes re-creating a deleted charge under its name and key.
func (w *world) stepCreateCharge() bool {
	if len(w.model.presentCharges()) >= maxPresent || len(w.model.presentSubs()) == 0 {
		return false
	}
	c := w.recreatableCharge()
	if c == nil {
		targets := w.model.presentSubs()
		if w.rng.IntN(10) > 0 { // now and then, a Subscription that is not on-demand
			targets = slices.DeleteFunc(targets, func(o *subObject) bool { return !o.onDemand })
		}
		if len(targets) == 0 {
			return false
		}
		n := w.next()
		c = &chargeObject{name: fmt.Sprintf("k%d", n), subRef: pick(w, targets).name}
		c.key = c.name
		c.spec = billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: c.subRef},
			Amount: int64(500 + 100*w.rng.IntN(40)), Currency: "USD", RetryPolicy: w.randomRetryPolicy()}
	}
	w.createCharge(c)
	return true
}

func (w *world) createCharge(c *chargeObject) {
	obj := &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Name: c.name, Namespace: w.ns}, Spec: c.spec}
	if err := env.Client.Create(w.ctx, obj); err != nil {
		w.logf("create OnDemandCharge %s refused: %v", c.name, err)
		return
	}
	c.uid = obj.UID
	w.model.charges = append(w.model.charges, c)
	w.touch(obj)
	w.logf("create OnDemandCharge %s (%s) on %s amount %d retry %s", c.name, shortUID(c.uid), c.subRef, c.spec.Amount,
		describePolicy(c.spec.RetryPolicy))
}

// recreatableCharge returns a copy of a gone charge whose name is free, sometimes.
func (w *world) recreatableCharge() *chargeObject {
	if w.rng.IntN(100) >= 20 {
		return nil
	}
	for _, old := range w.model.charges {
		if old.gone && w.model.chargeByName(old.name) == nil {
			return &chargeObject{name: old.name, subRef: old.subRef, key: old.key, spec: old.spec}
		}
	}
	return nil
}

func (w *world) randomRetryPolicy() *billingv1alpha1.ChargeRetryPolicy {
	if w.rng.IntN(10) < 4 {
		return nil
	}
	max := int32(1 + w.rng.IntN(4))
	p := &billingv1alpha1.ChargeRetryPolicy{MaxAttempts: &max}
	if max > 1 && w.rng.IntN(2) == 0 {
		for range max - 1 {
			p.Intervals = append(p.Intervals, metav1.Duration{Duration: time.Duration(24+24*w.rng.IntN(3)) * time.Hour})
		}
	}
	return p
}

func describePolicy(p *billingv1alpha1.ChargeRetryPolicy) string {
	if p == nil {
		return "default"
	}
	return fmt.Sprintf("max %d intervals %v", ptr.Deref(p.MaxAttempts, 4), p.Intervals)
}
