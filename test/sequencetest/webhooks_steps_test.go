package sequencetest

import (
	"context"
	"fmt"
	"slices"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// stepDeliverWebhooks delivers the pending events as Dodo would: mostly in order, some
// swapped with the next, some twice, some held back for later; an event the receiver
// does not acknowledge stays pending (Dodo retries).
func (w *world) stepDeliverWebhooks() bool {
	w.collectHooks()
	if len(w.pendingHooks) == 0 {
		return false
	}
	hooks := w.pendingHooks
	for i := 0; i+1 < len(hooks); i++ {
		if w.rng.IntN(100) < 20 {
			hooks[i], hooks[i+1] = hooks[i+1], hooks[i]
			w.stats.fault(faultReorderedHook)
			i++
		}
	}
	var kept []hook
	delivered, duplicates := 0, 0
	for _, h := range hooks {
		if w.rng.IntN(100) < 10 {
			kept = append(kept, h)
			w.stats.fault(faultHeldBackHook)
			continue
		}
		ok := w.deliver(h)
		if w.rng.IntN(100) < 15 {
			ok = w.deliver(h) || ok
			duplicates++
			w.stats.fault(faultDuplicateHook)
		}
		if !ok {
			kept = append(kept, h)
		}
		delivered++
	}
	w.pendingHooks = kept
	w.logf("deliver webhooks: %d delivered (%d twice), %d pending", delivered, duplicates, len(kept))
	return true
}

// deliverAll delivers every pending event in order, a few times for those not
// acknowledged, and reports whether all were.
func (w *world) deliverAll() bool {
	w.collectHooks()
	for range 3 {
		var kept []hook
		for _, h := range w.pendingHooks {
			if !w.deliver(h) {
				kept = append(kept, h)
			}
		}
		w.pendingHooks = kept
		if len(kept) == 0 {
			return true
		}
	}
	return false
}

// checkWebhookEffects is invariant 8: right after every event was delivered and
// acknowledged, every Subscription that manages a Dodo subscription shows its status:
// no event's effect was lost to a concurrent or stale status write.
func (w *world) checkWebhookEffects() {
	if !w.deliverAll() {
		w.logf("   webhooks still not acknowledged: %d", len(w.pendingHooks))
		return
	}
	dodoStatus := map[string]dodo.SubscriptionStatus{}
	for _, s := range w.sim.State().Subscriptions {
		dodoStatus[s.SubscriptionID] = s.Status
	}
	w.stats.checks++
	for _, o := range w.model.presentSubs() {
		sub, ok := w.getSub(o.name)
		id := sub.Status.SubscriptionID
		if !ok || id == "" || !sub.DeletionTimestamp.IsZero() || sub.Status.LastWebhookEvent == nil {
			continue
		}
		if got, want := sub.Status.ProviderStatus, string(dodoStatus[id]); got != want {
			w.violate(8, "Subscription %s shows %s as %q after every webhook was delivered; Dodo has %q (last event %s %s)",
				o.name, id, got, want, sub.Status.LastWebhookEvent.Type, sub.Status.LastWebhookEvent.ID)
		}
	}
}

// indexedReader stands in for the receiver's cache: reads go to the API server, and a
// field selector is evaluated with the index functions the receiver registers, on a fresh
// list. It is never stale, so deliveries are reproducible.
type indexedReader struct {
	client.Reader
	indexes map[string]func(any) []string
}

func (r *indexedReader) IndexField(_ context.Context, _ client.Object, field string, extract client.IndexerFunc) error {
	r.indexes[field] = func(obj any) []string { return extract(obj.(client.Object)) }
	return nil
}

func (r *indexedReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := &client.ListOptions{}
	o.ApplyOptions(opts)
	selector := o.FieldSelector
	if selector == nil || selector.Empty() {
		return r.Reader.List(ctx, list, opts...)
	}
	o.FieldSelector = nil
	if err := r.Reader.List(ctx, list, o); err != nil {
		return err
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		return err
	}
	kept := slices.DeleteFunc(items, func(item runtime.Object) bool {
		for _, req := range selector.Requirements() {
			extract, ok := r.indexes[req.Field]
			if !ok || req.Operator != selection.Equals && req.Operator != selection.DoubleEquals {
				panic(fmt.Sprintf("indexedReader: unsupported selector %s", selector))
			}
			if !slices.Contains(extract(item), req.Value) {
				return true
			}
		}
		return false
	})
	return apimeta.SetList(list, kept)
}
