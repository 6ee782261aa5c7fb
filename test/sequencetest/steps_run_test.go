package sequencetest

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// annotationReconcileRequestedAt asks for a read of Dodo now when its value changes (the
// API's annotation, spelled out: its Go constant is moving between packages).
const annotationReconcileRequestedAt = "billing.dodo-operator.io/reconcile-requested-at"

// target is an object to reconcile.
type target struct{ kind, name string }

// targets are the objects in the API server, Subscriptions first.
func (w *world) targets() []target {
	subs, charges := w.model.presentSubs(), w.model.presentCharges()
	out := make([]target, 0, len(subs)+len(charges))
	for _, o := range subs {
		out = append(out, target{"sub", o.name})
	}
	for _, c := range charges {
		out = append(out, target{"charge", c.name})
	}
	return out
}

// reconcile runs one reconcile of the object, as the operator would, and returns its
// result; a kill (crash panic) is recovered here, and a new operator started.
func (w *world) reconcile(t target) (res ctrl.Result, err error, crashed bool) {
	var uid types.UID // from the model: one API-server read less per reconcile
	if o := w.model.subByName(t.name); t.kind == "sub" && o != nil {
		uid = o.uid
	} else if c := w.model.chargeByName(t.name); t.kind == "charge" && c != nil {
		uid = c.uid
	}
	ctx := withActor(w.ctx, actor{kind: t.kind, name: t.name, uid: uid})
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				w.violate(0, "%s %s: the reconcile panicked: %v\n%s", t.kind, t.name, r, debug.Stack())
			}
			crashed = true
			w.kube.revive()
			w.restart()
			w.stats.fault(faultRestart)
		}
	}()
	w.stats.reconciles++
	req := ctrl.Request{NamespacedName: client.ObjectKey{Namespace: w.ns, Name: t.name}}
	if t.kind == "sub" {
		res, err = w.subs.Reconcile(ctx, req)
	} else {
		res, err = w.charges.Reconcile(ctx, req)
	}
	return res, err, false
}

// stepReconcile reconciles one object once, possibly with a fault armed for its next Dodo
// call or its next status write.
func (w *world) stepReconcile() bool {
	ts := w.targets()
	if len(ts) == 0 {
		return false
	}
	t := pick(w, ts)
	fault := ""
	if w.rng.IntN(100) < 55 {
		fault = w.armFault(w.step, false)
	}
	res, err, _ := w.reconcile(t)
	w.logf("reconcile %s %s [fault armed: %s] -> %s%s", t.kind, t.name, orNone(fault), requeue(res), errSuffix(err))
	return true
}

// requeue describes a result; the resync (spread by UID, so different in every run) is
// not spelled out, which keeps step logs of one seed comparable between runs.
func requeue(res ctrl.Result) string {
	if res.RequeueAfter > maxHorizon {
		return "requeue at the resync"
	}
	return "requeue " + res.RequeueAfter.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// stepKill kills the operator right after a Dodo call of one reconcile returned (a write,
// mostly), then starts a new operator with no memory.
func (w *world) stepKill() bool {
	ts := w.targets()
	if len(ts) == 0 {
		return false
	}
	t := pick(w, ts)
	w.armKill(w.step)
	_, err, crashed := w.reconcile(t)
	if !crashed {
		w.restart()
		w.stats.fault(faultRestart)
	}
	w.logf("kill during reconcile %s %s: killed=%v%s; new operator", t.kind, t.name, crashed, errSuffix(err))
	return true
}

func (w *world) stepRestart() bool {
	w.restart()
	w.stats.fault(faultRestart)
	w.logf("restart the operator")
	return true
}

var advances = []time.Duration{5 * time.Second, 20 * time.Second, 40 * time.Second, 2 * time.Minute, 6 * time.Minute,
	15 * time.Minute, time.Hour, 6 * time.Hour, 25 * time.Hour, 3 * 24 * time.Hour, 8 * 24 * time.Hour}

// stepAdvance lets time pass on both clocks, from seconds to days (a day lets payment
// links expire; days bring renewals, on_hold and retries), mostly minutes.
func (w *world) stepAdvance() bool {
	d := advances[w.rng.IntN(6)]
	if w.rng.IntN(100) < 35 && w.elapsed+8*24*time.Hour < maxHorizon {
		d = advances[6+w.rng.IntN(len(advances)-6)]
	}
	w.advance(d)
	w.logf("advance %s (elapsed %s)", d, w.elapsed)
	return true
}

// stepCompleteCheckout completes an open payment link as the customer, now and then with
// a card that declines.
func (w *world) stepCompleteCheckout() bool {
	var open []string
	for _, co := range w.sim.State().Checkouts {
		if co.Status == "open" {
			open = append(open, co.ID)
		}
	}
	if len(open) == 0 {
		return false
	}
	id, card := pick(w, open), "4242424242424242"
	if w.rng.IntN(100) < 15 {
		card = "4000000000000002"
		w.stats.fault(faultDecliningCard)
	}
	err := w.sim.CompleteCheckout(id, card)
	w.logf("complete checkout %s with %s%s", id, card, errSuffix(err))
	return true
}

// stepPoke asks for a read of Dodo now, as a webhook's status write or a person would
// (the reconcile-requested-at annotation).
func (w *world) stepPoke() bool {
	present := w.model.presentSubs()
	if len(present) == 0 {
		return false
	}
	o := pick(w, present)
	err := w.poke(o.name)
	w.logf("poke %s%s", o.name, errSuffix(err))
	return true
}

func (w *world) poke(name string) error {
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, annotationReconcileRequestedAt,
		strconv.Itoa(w.next()))
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: name}}
	w.touch(sub)
	return client.IgnoreNotFound(env.Client.Patch(w.ctx, sub, client.RawPatch(types.MergePatchType, patch)))
}

// stepReconcileAll reconciles every object once, as the controllers would after events.
func (w *world) stepReconcileAll() bool {
	ts := w.targets()
	if len(ts) == 0 {
		return false
	}
	summary := ""
	for _, t := range ts {
		res, err, _ := w.reconcile(t)
		summary += fmt.Sprintf(" %s:%s%s", t.name, requeue(res), map[bool]string{true: "(err)"}[err != nil])
	}
	w.logf("reconcile all:%s", summary)
	return true
}

// operatorRuns are how long the operator runs in one step.
var operatorRuns = []time.Duration{0, 0, 30 * time.Second, 2 * time.Minute, 6 * time.Minute, 11 * time.Minute}

// stepOperatorRuns lets the operator work as controller-runtime would (drain_test.go's
// queue: what its watches enqueued, then requeues as they fall due) for up to a few
// minutes; armed faults fire in whichever reconcile meets them.
func (w *world) stepOperatorRuns() bool {
	start := w.opClock.Now()
	n := w.runQueue(start.Add(pick(w, operatorRuns)), 25)
	w.logf("operator runs: %d reconciles over %s", n, w.opClock.Now().Sub(start))
	return true
}
