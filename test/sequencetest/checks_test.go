package sequencetest

import (
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// checkState checks the invariants that the simulator's state shows (2, 3, 5, 6), after
// learning which objects are gone from the API server. Invariants 1, 3 (calls) and 4 are
// checked as each call is sent (calls_check_test.go).
func (w *world) checkState() {
	w.refreshPresence()
	state := w.sim.State()
	for _, s := range state.Subscriptions {
		w.learnSubscription(s.SubscriptionID, s.Metadata[stamp.KeyUID])
	}
	w.checkOneCreatePerObject()
	w.checkOnePaymentPerAttempt(state)
	w.checkDuesPaidOnce(state)
	w.checkDeletedLeaveNothingLive(state)
	w.checkRetryPolicy(state)
	w.stats.checks += 5
}

// refreshPresence marks the model's objects that left the API server. Only an object
// whose deletion was requested can leave, and only after a write (a finalizer removed)
// or the test's delete.
func (w *world) refreshPresence() {
	if mark := [2]int{w.kube.writes, w.deletes}; mark == w.presenceMark {
		return
	} else {
		w.presenceMark = mark
	}
	for _, o := range w.model.subs {
		if o.deleted && !o.gone {
			if sub, ok := w.getSub(o.name); !ok || sub.UID != o.uid {
				o.gone = true
				w.logf("   Subscription %s (%s) is gone", o.name, shortUID(o.uid))
			}
		}
	}
	for _, c := range w.model.charges {
		if c.deleted && !c.gone {
			if obj, ok := w.getCharge(c.name); !ok || obj.UID != c.uid {
				c.gone = true
				w.logf("   OnDemandCharge %s (%s) is gone", c.name, shortUID(c.uid))
			}
		}
	}
}

// checkOneCreatePerObject is invariant 2: at most one subscription created per object UID
// (the test's own foreign subscriptions aside).
func (w *world) checkOneCreatePerObject() {
	byUID := map[types.UID][]string{}
	for _, id := range w.model.order {
		if uid := w.model.creator[id]; uid != "" && !w.model.foreign[id] {
			byUID[uid] = append(byUID[uid], id)
		}
	}
	for uid, ids := range byUID {
		if len(ids) > 1 {
			w.violate(2, "%s created %d subscriptions: %v", w.describeUID(uid), len(ids), ids)
		}
	}
}

// checkOnePaymentPerAttempt is invariant 3: at most one payment per (subscription, charge
// key, retry_attempt).
func (w *world) checkOnePaymentPerAttempt(state simulator.State) {
	seen := map[string][]string{}
	for _, p := range state.Payments {
		key, ok := p.Metadata[stamp.KeyChargeKey]
		if !ok || p.SubscriptionID == nil {
			continue
		}
		k := *p.SubscriptionID + "/" + key + "/" + p.Metadata[stamp.KeyRetryAttempt]
		seen[k] = append(seen[k], p.PaymentID)
	}
	for k, ids := range seen {
		if len(ids) > 1 {
			w.violate(3, "%d payments for one attempt (subscription/charge key/retry_attempt %s): %v", len(ids), k, ids)
		}
	}
}

// checkDuesPaidOnce is invariant 3 for dues: no unpaid amount of a subscription is
// collected by two succeeded dues payments (each dues payment is an update-payment-method
// call on an on_hold subscription, by the Subscription or the charge controller).
func (w *world) checkDuesPaidOnce(state simulator.State) {
	paidBy := map[string]string{}
	for _, p := range state.Payments {
		if p.SimKind != simulator.SimKindDues || p.StatusOrEmpty() != dodo.PaymentStatusSucceeded {
			continue
		}
		for _, due := range p.SimDuesFor {
			if first, ok := paidBy[due]; ok {
				w.violate(3, "payment %s was collected twice, by dues payments %s and %s", due, first, p.PaymentID)
			}
			paidBy[due] = p.PaymentID
		}
	}
}

// checkDeletedLeaveNothingLive is invariant 5: once a Subscription with deletionPolicy
// Cancel or CancelAtPeriodEnd (the default) is gone, every Dodo subscription it created or
// adopted, and still owns, is over, cancelled (Cancel), or cancelled or cancelling at the
// period's end (CancelAtPeriodEnd).
func (w *world) checkDeletedLeaveNothingLive(state simulator.State) {
	byID := map[string]simulator.SubscriptionState{}
	for _, s := range state.Subscriptions {
		byID[s.SubscriptionID] = s
	}
	for _, o := range w.model.subs {
		if !o.gone || o.observeOnly || o.policy == billingv1alpha1.DeletionPolicyOrphan {
			continue
		}
		for _, id := range w.model.managedBy(o.uid) {
			s := byID[id]
			switch {
			case s.Status == dodo.SubscriptionStatusCancelled || s.Status == dodo.SubscriptionStatusFailed ||
				s.Status == dodo.SubscriptionStatusExpired:
			case o.policy != billingv1alpha1.DeletionPolicyCancel && s.CancelAtNextBillingDate:
			default:
				w.violate(5, "Subscription %s (%s, deletionPolicy %q) is gone, but its Dodo subscription %s is %s "+
					"(cancel_at_next_billing_date %v)", o.name, shortUID(o.uid), o.policy, id, s.Status, s.CancelAtNextBillingDate)
			}
		}
	}
}

// checkRetryPolicy is invariant 6: per charge key, attempts stay within maxAttempts, none
// follows a success, a hard, non-retryable or repeated decline, or comes sooner than the
// policy's interval after the previous one.
func (w *world) checkRetryPolicy(state simulator.State) {
	groups := map[string][]simulator.PaymentState{}
	for _, p := range state.Payments {
		if key, ok := p.Metadata[stamp.KeyChargeKey]; ok && p.SubscriptionID != nil {
			groups[*p.SubscriptionID+"/"+key] = append(groups[*p.SubscriptionID+"/"+key], p)
		}
	}
	for group, payments := range groups {
		byAttempt := map[int]simulator.PaymentState{}
		for _, p := range payments {
			n, _ := strconv.Atoi(p.Metadata[stamp.KeyRetryAttempt])
			byAttempt[n+1] = p
		}
		w.checkAttempts(group, payments[0].Metadata[stamp.KeyChargeKey], byAttempt)
	}
}

func (w *world) checkAttempts(group, key string, byAttempt map[int]simulator.PaymentState) {
	pol := w.policyOf(key)
	numbers := make([]int, 0, len(byAttempt))
	for n := range byAttempt {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	for _, n := range numbers {
		if n > pol.maxAttempts {
			w.violate(6, "charge %s: attempt %d beyond maxAttempts %d", group, n, pol.maxAttempts)
		}
		prev, ok := byAttempt[n-1]
		if !ok {
			continue
		}
		cur := byAttempt[n]
		if why := retryRefusal(prev, byAttempt[n-2], n-2 >= 1); why != "" {
			w.violate(6, "charge %s: attempt %d (%s) after attempt %d %s", group, n, cur.PaymentID, n-1, why)
		}
		if gap, min := cur.CreatedAt.Sub(prev.CreatedAt), pol.interval(n); gap < min {
			w.violate(6, "charge %s: attempt %d only %s after attempt %d (policy: %s)", group, n, gap, n-1, min)
		}
	}
}

// retryRefusal says why no attempt may follow prev (empty: one may).
func retryRefusal(prev, beforePrev simulator.PaymentState, hasBefore bool) string {
	status := prev.StatusOrEmpty()
	code := ""
	if prev.ErrorCode != nil {
		code = *prev.ErrorCode
	}
	class := dodo.ClassifyDecline(code)
	switch {
	case status != dodo.PaymentStatusFailed:
		return "whose payment " + prev.PaymentID + " is " + string(status)
	case class.NeverRetry:
		return "declined with " + code + ", never retried"
	case !class.Retryable:
		return "declined with " + code + ", not retryable (no allow-retry annotation)"
	case hasBefore && beforePrev.ErrorCode != nil && *beforePrev.ErrorCode == code && beforePrev.StatusOrEmpty() == dodo.PaymentStatusFailed:
		return "repeated the decline " + code + " of the attempt before"
	}
	return ""
}
