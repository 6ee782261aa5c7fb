package webhookreceiver

import (
	"context"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// writeBackoff retries conflicts with the controller or another replica: a few quick
// attempts, then a 503 lets Dodo deliver again.
var writeBackoff = wait.Backoff{Steps: 6, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.2}

// writeStatus is the receiver's only way to write: read the object, let mutate change the
// receiver's own status fields, and Status().Update under the read's resourceVersion,
// again on a conflict. Only outcomeApplied writes. The first read comes from the cache
// (one API-server read less per event); the optimistic lock rejects a write based on a
// stale copy, and any other outcome (duplicate, stale, not found, another object) is
// decided again from the stored copy, so the cache never makes an event be dropped.
func writeStatus[T client.Object](ctx context.Context, c client.Client, cached client.Reader, key types.NamespacedName,
	newObject func() T, mutate func(T) outcome, conflicted func()) (outcome, error) {
	var result outcome
	err := retry.RetryOnConflict(writeBackoff, func() error {
		var obj T
		var err error
		if cached != nil {
			obj, result, err = readAndMutate(ctx, cached, key, newObject, mutate)
		}
		if cached == nil || err != nil || result != outcomeApplied {
			obj, result, err = readAndMutate(ctx, c, key, newObject, mutate)
		}
		cached = nil // after a conflict, read the stored copy
		if err != nil || result != outcomeApplied {
			return err
		}
		err = c.Status().Update(ctx, obj)
		if apierrors.IsConflict(err) {
			conflicted()
		}
		return err
	})
	return result, err
}

func readAndMutate[T client.Object](ctx context.Context, reader client.Reader, key types.NamespacedName,
	newObject func() T, mutate func(T) outcome) (T, outcome, error) {
	obj := newObject()
	if err := reader.Get(ctx, key, obj); err != nil {
		return obj, "", err
	}
	return obj, mutate(obj), nil
}

// settle turns a write's NotFound into a per-object outcome: a stamped object that went
// away is missing (worth a retry within the grace period); one found through the index was
// deleted.
func (t target) settle(result outcome, err error) (outcome, error) {
	if apierrors.IsNotFound(err) {
		if t.uid != "" {
			return outcomeMissing, nil
		}
		return outcomeUnknownObject, nil
	}
	return result, err
}

func (r *Receiver) writeSubscription(ctx context.Context, d delivery, t target,
	apply func(*billingv1alpha1.Subscription) outcome) (outcome, error) {
	// This delivery's change, kept apart from others coalesced into the same write.
	var written *billingv1alpha1.Subscription
	var from, to string
	var payment *billingv1alpha1.PaymentSummary
	mutate := func(obj *billingv1alpha1.Subscription) outcome {
		if t.uid != "" && obj.UID != t.uid {
			return outcomeUnknownObject
		}
		if subscriptionAccount(obj) != d.account {
			return outcomeOtherAccount // checked again on the read the write is based on
		}
		written, from = obj, obj.Status.ProviderStatus
		result := apply(obj)
		if result == outcomeApplied {
			// Ready as the controller would set it: its reconcile that this write
			// sets off then finds nothing to write (one write per event).
			providerstate.SetReadyAfterEvent(obj)
		}
		to, payment = obj.Status.ProviderStatus, obj.Status.LastPayment.DeepCopy()
		return result
	}
	result, err := r.subscriptionWrites.do(ctx, t.key, mutate,
		func(ctx context.Context, mutate func(*billingv1alpha1.Subscription) outcome) (outcome, error) {
			return writeStatus(ctx, r.client, r.subscriptionReader(ctx, t.key), t.key,
				func() *billingv1alpha1.Subscription { return &billingv1alpha1.Subscription{} }, mutate,
				func() { r.metrics.conflicted("Subscription") })
		})
	r.logWrite(d, "Subscription", t, result, err)
	if err == nil && result == outcomeApplied {
		r.own.wrote(t.key, r.clock.Now())
		r.tellTransition(written, from, to, payment)
	}
	return t.settle(result, err)
}

// subscriptionReader is where a Subscription write reads first: the cache, unless the
// cached copy is most likely one write behind, where a write based on it would conflict
// (a failed write, then the same read of the stored copy). That is an object without a
// subscription ID yet, being created: the controller writes the ID, Dodo's view and the
// conditions within moments of Dodo's first events; or one the receiver itself wrote
// within ownWriteWindow (issue 17: 0.99 conflicts per new Subscription before, 0.60 with
// the first rule alone).
func (r *Receiver) subscriptionReader(ctx context.Context, key types.NamespacedName) client.Reader {
	if r.cache == nil || r.own.recent(key, r.clock.Now()) {
		return nil
	}
	cached := &billingv1alpha1.Subscription{}
	if err := r.cache.Get(ctx, key, cached); err != nil || cached.Status.SubscriptionID == "" {
		return nil
	}
	return r.cache
}

// ownedBy checks, on the read a write is based on, that the charge is the account's; when
// it is not, o is the outcome to give.
func (t target) ownedBy(charge *billingv1alpha1.OnDemandCharge, account accounts.Key) (o outcome, ok bool) {
	owner, recorded := chargeAccount(charge)
	switch {
	case recorded:
	case t.owner != nil:
		owner = *t.owner
	default:
		return outcomeUnknownObject, false // the status lost the account it had at the lookup
	}
	if owner != account {
		return outcomeOtherAccount, false
	}
	return "", true
}

// tellTransition emits the Event for a change of Dodo's status this write stored: the
// process that stores a change tells it, so each change is told once.
func (r *Receiver) tellTransition(sub *billingv1alpha1.Subscription, from, to string, payment *billingv1alpha1.PaymentSummary) {
	e, ok := providerstate.TransitionEvent(from, to, payment)
	if ok && r.recorder != nil {
		r.recorder.Eventf(sub, nil, e.Type, e.Reason, "Webhook", "%s", e.Note)
	}
}

func (r *Receiver) writeCharge(ctx context.Context, d delivery, t target,
	apply func(*billingv1alpha1.OnDemandCharge) outcome) (outcome, error) {
	// This delivery's change, kept apart from others coalesced into the same write.
	var written *billingv1alpha1.OnDemandCharge
	var before, after []billingv1alpha1.ChargeAttempt
	mutate := func(obj *billingv1alpha1.OnDemandCharge) outcome {
		if t.uid != "" && obj.UID != t.uid {
			return outcomeUnknownObject
		}
		if o, ok := t.ownedBy(obj, d.account); !ok {
			return o
		}
		written = obj
		before = slices.Clone(obj.Status.Attempts) // attempts hold no pointers apply changes
		result := apply(obj)
		after = slices.Clone(obj.Status.Attempts)
		return result
	}
	result, err := r.chargeWrites.do(ctx, t.key, mutate,
		func(ctx context.Context, mutate func(*billingv1alpha1.OnDemandCharge) outcome) (outcome, error) {
			return writeStatus(ctx, r.client, r.cache, t.key,
				func() *billingv1alpha1.OnDemandCharge { return &billingv1alpha1.OnDemandCharge{} }, mutate,
				func() { r.metrics.conflicted("OnDemandCharge") })
		})
	r.logWrite(d, "OnDemandCharge", t, result, err)
	if err == nil && result == outcomeApplied && r.recorder != nil {
		// This write stored the outcome: this process tells it (chargestate.AttemptEvents).
		for _, e := range chargestate.AttemptEvents(before, after) {
			r.recorder.Eventf(written, nil, e.Type, e.Reason, "Webhook", "%s", e.Note)
		}
	}
	return t.settle(result, err)
}

// logWrite logs each stored write at the default verbosity: names and the outcome only.
func (r *Receiver) logWrite(d delivery, kind string, t target, result outcome, err error) {
	if err == nil && result == outcomeApplied {
		r.log.Info("Applied webhook", "kind", kind, "object", t.key, "type", d.Event.Type, "webhookID", d.ID)
		return
	}
	r.log.V(1).Info("Webhook not written", "kind", kind, "object", t.key, "type", d.Event.Type,
		"webhookID", d.ID, "outcome", result, "error", err)
}
