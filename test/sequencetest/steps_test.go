package sequencetest

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// stepKind is one kind of random step; run reports false when it does not apply now
// (another kind is drawn).
type stepKind struct {
	name   string
	weight int
	run    func(w *world) bool
}

// Weights: reconciles dominate so that what the user and the faults start also finishes.
var stepKinds = []stepKind{
	{"create-subscription", 8, (*world).stepCreateSubscription},
	{"edit-spec", 10, (*world).stepEditSpec},
	{"delete-subscription", 4, (*world).stepDeleteSubscription},
	{"adopt", 3, (*world).stepAdopt},
	{"foreign-subscription", 2, (*world).stepForeignSubscription},
	{"create-charge", 9, (*world).stepCreateCharge},
	{"delete-charge", 3, (*world).stepDeleteCharge},
	{"replace-charge", 3, (*world).stepReplaceCharge},
	{"reconcile", 25, (*world).stepReconcile},
	{"operator-runs", 15, (*world).stepOperatorRuns},
	{"kill", 5, (*world).stepKill},
	{"arm-fault", 6, (*world).stepArmFault},
	{"restart", 1, (*world).stepRestart},
	{"advance-time", 14, (*world).stepAdvance},
	{"complete-checkout", 5, (*world).stepCompleteCheckout},
	{"deliver-webhooks", 8, (*world).stepDeliverWebhooks},
	{"poke", 4, (*world).stepPoke},
	{"reconcile-all", 2, (*world).stepReconcileAll},
}

// randomStep draws and runs one applicable step and returns its kind.
func (w *world) randomStep() string {
	total := 0
	for _, k := range stepKinds {
		total += k.weight
	}
	for {
		n := w.rng.IntN(total)
		for _, k := range stepKinds {
			if n < k.weight {
				if k.run(w) {
					return k.name
				}
				break
			}
			n -= k.weight
		}
	}
}

const maxPresent = 6

var deletionPolicies = []billingv1alpha1.DeletionPolicy{"", billingv1alpha1.DeletionPolicyCancel,
	billingv1alpha1.DeletionPolicyCancelAtPeriodEnd, billingv1alpha1.DeletionPolicyOrphan}

// stepCreateSubscription creates a Subscription: with a payment link or not, on-demand or
// not, any deletion policy, sometimes for a customer whose card declines.
func (w *world) stepCreateSubscription() bool {
	if len(w.model.presentSubs()) >= maxPresent {
		return false
	}
	n := w.next()
	o := &subObject{name: fmt.Sprintf("s%d", n), email: w.randomEmail(n), onDemand: w.rng.IntN(100) < 55,
		policy: pick(w, deletionPolicies), product: "pdt_sim_basic", quantity: 1, pmKeys: map[string]bool{}}
	spec := billingv1alpha1.SubscriptionSpec{
		Customer: billingv1alpha1.CustomerSpec{Email: o.email, Name: o.name},
		Billing:  billingv1alpha1.BillingAddress{Country: "US"}, DeletionPolicy: o.policy,
	}
	if o.onDemand {
		spec.OnDemand = &billingv1alpha1.OnDemandSpec{MandateOnly: w.rng.IntN(10) < 7}
		if !spec.OnDemand.MandateOnly {
			spec.OnDemand.ProductPrice = ptr.To(int64(1500))
		}
	} else {
		o.product, o.quantity = pick(w, []string{"pdt_sim_basic", "pdt_sim_pro"}), int32(1+w.rng.IntN(3))
		if w.rng.IntN(100) < 35 {
			// A short trial brings the first renewal (and, for a declining card, on_hold) within days.
			spec.TrialPeriodDays = ptr.To(int32(1 + w.rng.IntN(3)))
		}
	}
	spec.ProductID, spec.Quantity = o.product, o.quantity
	if w.rng.IntN(100) < 25 {
		spec.PaymentLink = ptr.To(true)
	}
	if !w.createSubscriptionObject(o, spec) {
		return false
	}
	w.logf("create Subscription %s (%s) %s x%d onDemand=%v link=%v trial=%d policy=%q email=%s", o.name, shortUID(o.uid),
		o.product, o.quantity, o.onDemand, spec.PaymentLink != nil, ptr.Deref(spec.TrialPeriodDays, 0), o.policy, o.email)
	return true
}

func (w *world) createSubscriptionObject(o *subObject, spec billingv1alpha1.SubscriptionSpec) bool {
	obj := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: w.ns}, Spec: spec}
	if err := env.Client.Create(w.ctx, obj); err != nil {
		w.logf("create Subscription %s refused: %v", o.name, err)
		return false
	}
	o.uid = obj.UID
	w.model.addSub(o)
	w.touch(obj)
	return true
}

// randomEmail is a new customer, often; one whose card declines (soft or hard),
// sometimes; an existing customer, now and then.
func (w *world) randomEmail(n int) string {
	switch r := w.rng.IntN(100); {
	case r < 12:
		return fmt.Sprintf("c%d+decline_insufficient_funds@example.com", n)
	case r < 17:
		return fmt.Sprintf("c%d+decline_stolen_card@example.com", n)
	case r < 20:
		return fmt.Sprintf("c%d+decline_generic_decline@example.com", n)
	case r < 30 && len(w.model.subs) > 0:
		if e := pick(w, w.model.subs).email; e != "" {
			return e
		}
	}
	return fmt.Sprintf("c%d@example.com", n)
}

// stepDeleteSubscription deletes a Subscription at any moment.
func (w *world) stepDeleteSubscription() bool {
	live := w.model.liveSubs()
	if len(live) == 0 {
		return false
	}
	o := pick(w, live)
	sub, ok := w.getSub(o.name)
	if !ok {
		return false
	}
	o.deleted = true
	w.deletes++
	err := env.Client.Delete(w.ctx, sub)
	w.touch(sub)
	w.logf("delete Subscription %s (policy %q, status %s %q, pending create %v)%s", o.name, o.policy,
		sub.Status.SubscriptionID, sub.Status.ProviderStatus, sub.Status.CreatePendingSince != nil, errSuffix(err))
	return true
}

// pickLiveCharge picks a charge not deleted yet, with its stored object.
func (w *world) pickLiveCharge() (*chargeObject, *billingv1alpha1.OnDemandCharge, bool) {
	var live []*chargeObject
	for _, c := range w.model.presentCharges() {
		if !c.deleted {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return nil, nil, false
	}
	c := pick(w, live)
	obj, ok := w.getCharge(c.name)
	return c, obj, ok
}

// stepDeleteCharge deletes an OnDemandCharge at any moment.
func (w *world) stepDeleteCharge() bool {
	c, obj, ok := w.pickLiveCharge()
	if !ok {
		return false
	}
	c.deleted = true
	w.deletes++
	err := env.Client.Delete(w.ctx, obj)
	w.touch(obj)
	w.logf("delete OnDemandCharge %s (phase %s, %d attempts)%s", c.name, obj.Status.Phase, len(obj.Status.Attempts), errSuffix(err))
	return true
}

// stepReplaceCharge deletes a charge and creates it again under the same name and key as
// soon as it is gone, as Argo CD's Replace does: the new object must continue the old
// one's history, never charge its attempts again. Webhooks arrive first (within seconds
// in production), so that the old object can go at once.
func (w *world) stepReplaceCharge() bool {
	c, obj, ok := w.pickLiveCharge()
	if !ok {
		return false
	}
	w.deliverAll()
	c.deleted = true
	w.deletes++
	err := env.Client.Delete(w.ctx, obj)
	w.logf("replace OnDemandCharge %s (phase %s, %d attempts): delete%s", c.name, obj.Status.Phase, len(obj.Status.Attempts), errSuffix(err))
	for range 4 {
		if w.refreshPresence(); c.gone {
			break
		}
		_, _, _ = w.reconcile(target{"charge", c.name})
	}
	if !c.gone {
		w.logf("   %s is still being deleted; not created again", c.name)
		return true
	}
	if w.rng.IntN(4) == 0 { // the operator is rolled out during the sync
		w.restart()
		w.stats.fault(faultRestart)
		w.logf("   restart the operator")
	}
	w.createCharge(&chargeObject{name: c.name, subRef: c.subRef, key: c.key, spec: c.spec})
	return true
}
