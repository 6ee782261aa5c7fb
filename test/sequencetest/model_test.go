package sequencetest

import (
	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// subObject is one Subscription object (one UID) as the test made it.
type subObject struct {
	name        string
	uid         types.UID
	email       string
	onDemand    bool
	policy      billingv1alpha1.DeletionPolicy
	observeOnly bool
	adopt       string // spec.adopt.subscriptionID
	foreignAim  bool   // the adoption targets a subscription of a live object: it must be refused
	product     string
	quantity    int32
	pmKeys      map[string]bool // payment-method request keys set so far (never reused)
	deleted     bool            // deletion requested
	gone        bool            // no longer in the API server
}

// chargeObject is one OnDemandCharge object.
type chargeObject struct {
	name    string
	uid     types.UID
	subRef  string
	key     string
	spec    billingv1alpha1.OnDemandChargeSpec
	deleted bool
	gone    bool
}

type planKey struct {
	uid      types.UID
	product  string
	quantity int32
}

type pmKey struct {
	uid types.UID
	key string
}

// model is the truth the invariants are checked against.
type model struct {
	subs    []*subObject // every incarnation, in creation order
	charges []*chargeObject
	byUID   map[types.UID]*subObject
	// owner is the object that owns each Dodo subscription: its creator (the k8s_uid stamped
	// at creation) until an object that adopts it acts on it while the owner is gone.
	owner map[string]types.UID
	// creator is the stamped creator of each subscription the operator created.
	creator map[string]types.UID
	// foreign are subscriptions the test created directly, stamped for a live object.
	foreign map[string]bool
	// order lists every known Dodo subscription as first seen.
	order []string
	// adoptedBy records who took each subscription over (checkWrite's ownership moves).
	adoptedBy map[string]types.UID
	// planSets counts how often the spec was set to each plan (creation included).
	planSets map[planKey]int
	// calls the invariants count.
	changePlans map[planKey]int
	pmCalls     map[pmKey]int
	// transfers counts adoptions that moved ownership; writes counts Dodo writes sent.
	transfers, writes int
}

func newModel() *model {
	return &model{byUID: map[types.UID]*subObject{}, owner: map[string]types.UID{}, creator: map[string]types.UID{},
		foreign: map[string]bool{}, adoptedBy: map[string]types.UID{}, planSets: map[planKey]int{}, changePlans: map[planKey]int{},
		pmCalls: map[pmKey]int{}}
}

func (m *model) addSub(o *subObject) {
	m.subs = append(m.subs, o)
	m.byUID[o.uid] = o
	m.planSets[planKey{o.uid, o.product, o.quantity}]++
}

// setPlan records a spec edit of the plan.
func (m *model) setPlan(o *subObject, product string, quantity int32) {
	if o.product == product && o.quantity == quantity {
		return
	}
	o.product, o.quantity = product, quantity
	m.planSets[planKey{o.uid, product, quantity}]++
}

// liveSubs are objects whose deletion was not requested.
func (m *model) liveSubs() []*subObject {
	var out []*subObject
	for _, o := range m.subs {
		if !o.deleted && !o.gone {
			out = append(out, o)
		}
	}
	return out
}

// presentSubs are objects still in the API server (deleting included).
func (m *model) presentSubs() []*subObject {
	var out []*subObject
	for _, o := range m.subs {
		if !o.gone {
			out = append(out, o)
		}
	}
	return out
}

func (m *model) presentCharges() []*chargeObject {
	var out []*chargeObject
	for _, c := range m.charges {
		if !c.gone {
			out = append(out, c)
		}
	}
	return out
}

// subByName is the newest present object of that name, if any.
func (m *model) subByName(name string) *subObject {
	for i := len(m.subs) - 1; i >= 0; i-- {
		if o := m.subs[i]; o.name == name && !o.gone {
			return o
		}
	}
	return nil
}

func (m *model) chargeByName(name string) *chargeObject {
	for i := len(m.charges) - 1; i >= 0; i-- {
		if c := m.charges[i]; c.name == name && !c.gone {
			return c
		}
	}
	return nil
}

// managedBy lists the Dodo subscriptions the object still owns and took on itself: those
// it created, and those it adopted (a foreign subscription merely stamped for it is not
// its doing).
func (m *model) managedBy(uid types.UID) []string {
	var out []string
	for _, id := range m.order {
		if m.owner[id] == uid && ((m.creator[id] == uid && !m.foreign[id]) || m.adoptedBy[id] == uid) {
			out = append(out, id)
		}
	}
	return out
}
