package sequencetest

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// Checks made as each Dodo write is sent (invariants 1 to 4), from the model and the API
// server as they are at that moment.

// checkCreate: only a Subscription object creates, and never one that adopts.
func (w *world) checkCreate(a actor) {
	o := w.model.byUID[a.uid]
	switch {
	case a.kind != "sub" || o == nil:
		w.violate(2, "%s created a subscription", a)
	case o.adopt != "":
		w.violate(2, "%s adopts %s but created a subscription", a, o.adopt)
	}
}

// checkWrite is invariant 1: the acting Subscription object (the charge's referenced one
// for a charge) owns the Dodo subscription, or adopts it from an owner that is gone.
func (w *world) checkWrite(ctx context.Context, method, subID string) {
	a := actorOf(ctx)
	uid, ok := w.actingSubscription(a)
	if !ok {
		w.violate(1, "%s: %s on %s for a Subscription that does not exist", a, method, subID)
		return
	}
	o := w.model.byUID[uid]
	if o != nil && o.observeOnly {
		w.violate(1, "%s: %s on %s by an ObserveOnly Subscription", a, method, subID)
	}
	owner, known := w.ownerOf(subID)
	switch {
	case !known:
		w.violate(1, "%s: %s on %s, a subscription the test does not know", a, method, subID)
	case owner == uid:
	case o != nil && o.adopt == subID && !w.objectExists(owner):
		w.model.owner[subID], w.model.adoptedBy[subID] = uid, uid
		w.model.transfers++
		w.logf("   ownership of %s moves to %s (adopted; previous owner %s gone)", subID, o.name, shortUID(owner))
	default:
		w.violate(1, "%s: %s on %s, owned by %s (present: %v)", a, method, subID, w.describeUID(owner), w.objectExists(owner))
	}
}

// actingSubscription is the UID of the Subscription object a call acts for.
func (w *world) actingSubscription(a actor) (types.UID, bool) {
	if a.kind == "sub" {
		return a.uid, a.uid != ""
	}
	charge, ok := w.getCharge(a.name)
	if !ok || charge.UID != a.uid {
		return "", false
	}
	sub, ok := w.getSub(charge.Spec.SubscriptionRef.Name)
	if !ok {
		return "", false
	}
	return sub.UID, true
}

// checkChangePlan is invariant 4: one change-plan per requested plan.
func (w *world) checkChangePlan(a actor, subID string, req dodo.ChangePlanRequest) {
	key := planKey{a.uid, req.ProductID, int32(req.Quantity)}
	w.model.changePlans[key]++
	if n, max := w.model.changePlans[key], w.model.planSets[key]; n > max {
		w.violate(4, "%s: change-plan %d to %s x%d on %s, but the spec asked for that plan %d time(s)",
			a, n, req.ProductID, req.Quantity, subID, max)
	}
}

// paymentMethodCallKey names an update-payment-method call for invariant 3: the request
// key (new:<token>, existing:<id>) of a Subscription's call, the attempt of a charge's
// dues call. It is read before the call: the controllers store their intent first.
func (w *world) paymentMethodCallKey(a actor, subID string, req dodo.UpdatePaymentMethodRequest) string {
	if a.kind == "charge" {
		charge, ok := w.getCharge(a.name)
		if !ok || len(charge.Status.Attempts) == 0 {
			return "attempt ?"
		}
		return fmt.Sprintf("attempt %d", charge.Status.Attempts[len(charge.Status.Attempts)-1].Number)
	}
	if req.Type == dodo.PaymentMethodUpdateExisting {
		return "existing:" + req.PaymentMethodID
	}
	sub, ok := w.getSub(a.name)
	if !ok || sub.Spec.PaymentMethod == nil || sub.Spec.PaymentMethod.New == nil {
		w.violate(3, "%s: update-payment-method (new) on %s without spec.paymentMethod.new", a, subID)
		return "new:?"
	}
	return "new:" + sub.Spec.PaymentMethod.New.Token
}

// countPaymentMethodCall is invariant 3 for update-payment-method: once per (object,
// request key), once per (charge, attempt) for dues.
func (w *world) countPaymentMethodCall(a actor, subID, key string) {
	k := pmKey{a.uid, key}
	if w.model.pmCalls[k]++; w.model.pmCalls[k] > 1 {
		w.violate(3, "%s: update-payment-method %s sent %d times (on %s)", a, key, w.model.pmCalls[k], subID)
	}
}

// ownerOf returns the model's owner of a Dodo subscription, learning new ones from the
// simulator (a create whose answer was lost).
func (w *world) ownerOf(subID string) (types.UID, bool) {
	if owner, ok := w.model.owner[subID]; ok {
		return owner, true
	}
	for _, s := range w.sim.State().Subscriptions {
		w.learnSubscription(s.SubscriptionID, s.Metadata[stamp.KeyUID])
	}
	owner, ok := w.model.owner[subID]
	return owner, ok
}

// learnSubscription records a subscription the operator created: its creator is the UID
// stamped at creation (the first time the test sees it).
func (w *world) learnSubscription(subID, uid string) {
	if _, ok := w.model.owner[subID]; ok {
		return
	}
	w.model.owner[subID] = types.UID(uid)
	w.model.creator[subID] = types.UID(uid)
	w.model.order = append(w.model.order, subID)
}

// objectExists reports whether the object with that UID is still in the API server
// (being deleted counts).
func (w *world) objectExists(uid types.UID) bool {
	o := w.model.byUID[uid]
	if o == nil {
		return false
	}
	sub, ok := w.getSub(o.name)
	return ok && sub.UID == uid
}

func (w *world) describeUID(uid types.UID) string {
	if o := w.model.byUID[uid]; o != nil {
		return "Subscription " + o.name + " (" + shortUID(uid) + ")"
	}
	return "unknown object " + shortUID(uid)
}

// hotLoopWrites is how many writes of one kind one object may send at one instant.
const hotLoopWrites = 10

// checkHotLoop is invariant 7: an object does not send the same write again and again
// with no time passing (a reconcile requeued at once by its own status writes, whatever
// RequeueAfter it asked for, as controller-runtime's watch does).
func (w *world) checkHotLoop(a actor, method string) {
	if now := w.opClock.Now(); !now.Equal(w.instant) {
		w.instant, w.instantWrites = now, map[string]int{}
	}
	key := string(a.uid) + "/" + method
	if w.instantWrites[key]++; w.instantWrites[key] > hotLoopWrites {
		w.hotLoop = true
	}
	if w.instantWrites[key] == hotLoopWrites+1 {
		w.violate(7, "%s sent %s more than %d times at %s without time passing: a hot loop against Dodo",
			a, method, hotLoopWrites, w.instant.Format(time.RFC3339))
	}
}
