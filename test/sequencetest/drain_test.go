package sequencetest

import (
	"fmt"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"

	"k8s.io/utils/ptr"

	"github.com/dodo-operator/dodo-operator/internal/controller/ondemandcharge"
)

// The drain runs the operator as controller-runtime would, without faults: a queue of
// objects to reconcile (written ones, and the charges of a written Subscription, as the
// watches enqueue them), requeues at RequeueAfter, errors retried with backoff (1 s
// doubling to 5 min), and time moved to the next due requeue, until nothing is due
// within drainHorizon. Every Subscription is asked for a read at the start and once
// more at the end (webhooks and resyncs would ask).
const (
	drainHorizon       = 3 * time.Hour
	maxDrainReconciles = 400
)

func (w *world) drain() {
	w.clearFaults()
	start := w.opClock.Now()
	for round := range 2 {
		w.deliverAll()
		for _, o := range w.model.presentSubs() {
			_ = w.poke(o.name)
		}
		for _, t := range w.targets() {
			w.queue.add(t)
		}
		n := w.runQueue(start.Add(drainHorizon), maxDrainReconciles)
		w.step++
		if n == maxDrainReconciles {
			w.logf("drain: still busy after %d reconciles", n)
		}
		w.logf("drain round %d: %d reconciles, now +%s: %s", round+1, n, w.opClock.Now().Sub(start), w.describeObjects())
		w.checkState()
	}
	w.checkWebhookEffects()
}

// runQueue reconciles dirty objects, then moves time to the next requeue, until nothing
// is due before horizon or limit reconciles were made; it returns the reconciles made.
func (w *world) runQueue(horizon time.Time, limit int) int {
	w.hotLoop = false
	for n := 0; n < limit; n++ {
		if w.hotLoop {
			return n // found and reported: the loop would only go on
		}
		t, ok := w.queue.pop()
		if !ok {
			next, ok := w.nextDue()
			if !ok || next.After(horizon) {
				return n
			}
			if wait := next.Sub(w.opClock.Now()); wait > 0 {
				w.advance(wait)
			}
			w.enqueueDue()
			w.checkState()
			continue
		}
		res, err, _ := w.reconcile(t)
		w.schedule(t, res, err)
	}
	return limit
}

// schedule records when the object is due again, as controller-runtime's queue would.
func (w *world) schedule(t target, res ctrl.Result, err error) {
	now := w.opClock.Now()
	switch {
	case err != nil:
		w.failures[t]++
		w.due[t] = now.Add(min(time.Second<<min(w.failures[t]-1, 20), 5*time.Minute))
	case res.RequeueAfter > 0:
		w.failures[t] = 0
		w.due[t] = now.Add(res.RequeueAfter)
	default:
		w.failures[t] = 0
		delete(w.due, t)
	}
}

// touch enqueues a written object, and the charges of a written Subscription.
func (w *world) touch(obj client.Object) {
	switch obj.(type) {
	case *billingv1alpha1.Subscription:
		w.queue.add(target{"sub", obj.GetName()})
		for _, c := range w.model.presentCharges() {
			if c.subRef == obj.GetName() {
				w.queue.add(target{"charge", c.name})
			}
		}
	case *billingv1alpha1.OnDemandCharge:
		w.queue.add(target{"charge", obj.GetName()})
	}
}

// describeObjects summarises the objects for the step log.
func (w *world) describeObjects() string {
	var parts []string
	for _, o := range w.model.presentSubs() {
		if s, ok := w.getSub(o.name); ok {
			parts = append(parts, fmt.Sprintf("%s=%s/%s%s", o.name, orNone(s.Status.SubscriptionID),
				orNone(s.Status.ProviderStatus), map[bool]string{true: "(deleting)"}[!s.DeletionTimestamp.IsZero()]))
		}
	}
	for _, c := range w.model.presentCharges() {
		if obj, ok := w.getCharge(c.name); ok {
			reason := ""
			for _, cond := range obj.Status.Conditions {
				if cond.Type == "Ready" && cond.Status != "True" {
					reason = "(" + cond.Reason + ")"
				}
			}
			parts = append(parts, fmt.Sprintf("%s=%s/%d%s", c.name, orNone(string(obj.Status.Phase)), len(obj.Status.Attempts), reason))
		}
	}
	return strings.Join(parts, " ")
}

// chargePolicy is a charge's effective retry policy.
type chargePolicy struct {
	maxAttempts int
	intervals   []time.Duration
}

// interval is the least time between attempt n-1 and attempt n (n >= 2).
func (p chargePolicy) interval(n int) time.Duration {
	return p.intervals[min(n-2, len(p.intervals)-1)]
}

// policyOf is the retry policy of the charge with that key (re-created charges keep the
// spec of the first).
func (w *world) policyOf(key string) chargePolicy {
	p := chargePolicy{maxAttempts: ondemandcharge.MaxAttempts, intervals: ondemandcharge.DefaultIntervals}
	for _, c := range w.model.charges {
		if c.key != key || c.spec.RetryPolicy == nil {
			continue
		}
		rp := c.spec.RetryPolicy
		p.maxAttempts = int(ptr.Deref(rp.MaxAttempts, ondemandcharge.MaxAttempts))
		if len(rp.Intervals) > 0 {
			p.intervals = nil
			for _, d := range rp.Intervals {
				p.intervals = append(p.intervals, d.Duration)
			}
		}
		break
	}
	return p
}
