package webhookreceiver

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// coalescer merges the status writes of deliveries for one object that arrive while a
// write to it is in flight: they wait for it, then go together as one read, all their
// changes, one write (issue 17: at creation, subscription.active and payment.succeeded
// arrive together). Each delivery keeps its own outcome, and is answered only once the
// write holding its change is stored, so nothing is acknowledged unwritten. Deliveries
// for different objects never wait for each other.
type coalescer[T client.Object] struct {
	mu    sync.Mutex
	slots map[types.NamespacedName]*coalesceSlot[T]
}

// coalesceSlot is one object's while a write to it runs (it is in slots only then): the
// batch waiting for that write.
type coalesceSlot[T client.Object] struct {
	queued *coalesceBatch[T]
}

type coalesceBatch[T client.Object] struct {
	mutates  []func(T) outcome
	outcomes []outcome
	err      error
	turn     chan struct{} // closed when the write before it is done: this batch runs
	done     chan struct{} // closed when this batch's write is done
}

// writeFunc writes one batch: a read, every mutate in order, one write (writeStatus).
type writeFunc[T client.Object] func(ctx context.Context, mutate func(T) outcome) (outcome, error)

// do runs mutate in the next write to key and returns its outcome.
func (c *coalescer[T]) do(ctx context.Context, key types.NamespacedName, mutate func(T) outcome,
	write writeFunc[T]) (outcome, error) {
	c.mu.Lock()
	if c.slots == nil {
		c.slots = map[types.NamespacedName]*coalesceSlot[T]{}
	}
	slot, running := c.slots[key]
	if !running {
		slot = &coalesceSlot[T]{}
		c.slots[key] = slot
		c.mu.Unlock()
		b := &coalesceBatch[T]{mutates: []func(T) outcome{mutate}, done: make(chan struct{})}
		c.run(ctx, key, slot, b, write)
		return b.outcomes[0], b.err
	}
	if slot.queued == nil {
		slot.queued = &coalesceBatch[T]{turn: make(chan struct{}), done: make(chan struct{})}
	}
	b, i := slot.queued, len(slot.queued.mutates)
	b.mutates = append(b.mutates, mutate)
	c.mu.Unlock()
	<-b.turn
	if i == 0 {
		c.run(ctx, key, slot, b, write) // the first to join runs it
	} else {
		<-b.done
	}
	return b.outcomes[i], b.err
}

// run writes batch b, then hands the object to the batch that queued meanwhile (or frees it).
func (c *coalescer[T]) run(ctx context.Context, key types.NamespacedName, slot *coalesceSlot[T],
	b *coalesceBatch[T], write writeFunc[T]) {
	b.outcomes = make([]outcome, len(b.mutates))
	_, b.err = write(ctx, func(obj T) outcome {
		combined := outcomeDuplicate
		for i, m := range b.mutates {
			b.outcomes[i] = m(obj)
			if b.outcomes[i] == outcomeApplied {
				combined = outcomeApplied
			}
		}
		return combined
	})
	close(b.done)
	c.mu.Lock()
	next := slot.queued
	slot.queued = nil
	if next == nil {
		delete(c.slots, key)
	}
	c.mu.Unlock()
	if next != nil {
		close(next.turn)
	}
}
