package webhookreceiver

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// fakeWrites is a writeFunc that holds every write until the test releases it and records
// what each write stored.
type fakeWrites struct {
	mu      sync.Mutex
	stored  [][]string // the webhook IDs each write stored, in order
	release chan struct{}
	err     error
}

func (f *fakeWrites) write(_ context.Context, mutate func(*billingv1alpha1.Subscription) outcome) (outcome, error) {
	<-f.release
	obj := &billingv1alpha1.Subscription{}
	result := mutate(obj)
	f.mu.Lock()
	defer f.mu.Unlock()
	if result == outcomeApplied && f.err == nil {
		f.stored = append(f.stored, obj.Status.RecentWebhookIDs)
	}
	return result, f.err
}

// remember applies a delivery whose change is to remember its ID; "dup" is a duplicate.
func remember(id string) func(*billingv1alpha1.Subscription) outcome {
	return func(obj *billingv1alpha1.Subscription) outcome {
		if id == "dup" {
			return outcomeDuplicate
		}
		obj.Status.RecentWebhookIDs = append(obj.Status.RecentWebhookIDs, id)
		return outcomeApplied
	}
}

// queuedBehind waits until n deliveries wait behind key's write in flight.
func queuedBehind(c *coalescer[*billingv1alpha1.Subscription], key types.NamespacedName, n int) {
	for {
		c.mu.Lock()
		slot := c.slots[key]
		got := slot != nil && slot.queued != nil && len(slot.queued.mutates) == n
		c.mu.Unlock()
		if got {
			return
		}
		runtime.Gosched()
	}
}

// writing waits until a write to key is in flight.
func writing(c *coalescer[*billingv1alpha1.Subscription], key types.NamespacedName) {
	for {
		c.mu.Lock()
		_, running := c.slots[key]
		c.mu.Unlock()
		if running {
			return
		}
		runtime.Gosched()
	}
}

func TestDeliveriesForOneObjectArrivingDuringAWriteGoTogether(t *testing.T) {
	var c coalescer[*billingv1alpha1.Subscription]
	f := &fakeWrites{release: make(chan struct{})}
	key := types.NamespacedName{Namespace: "ns", Name: "a"}
	results := make(map[string]outcome)
	var mu sync.Mutex
	var wg sync.WaitGroup
	deliver := func(id string) {
		defer wg.Done()
		o, err := c.do(context.Background(), key, remember(id), f.write)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		results[id] = o
		mu.Unlock()
	}
	wg.Add(1)
	go deliver("first")
	writing(&c, key) // the first write is in flight
	for i, id := range []string{"second", "dup", "third"} {
		wg.Add(1)
		go deliver(id)
		queuedBehind(&c, key, i+1)
	}
	close(f.release)
	wg.Wait()

	want := [][]string{{"first"}, {"second", "third"}}
	if diff := cmp.Diff(want, f.stored); diff != "" {
		t.Fatalf("writes (-want +got):\n%s", diff)
	}
	wantResults := map[string]outcome{"first": outcomeApplied, "second": outcomeApplied, "dup": outcomeDuplicate, "third": outcomeApplied}
	if diff := cmp.Diff(wantResults, results); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if len(c.slots) != 0 {
		t.Fatalf("slots left: %v", c.slots)
	}
}

func TestAFailedCoalescedWriteFailsEveryDeliveryInIt(t *testing.T) {
	var c coalescer[*billingv1alpha1.Subscription]
	f := &fakeWrites{release: make(chan struct{}), err: errors.New("conflict after every retry")}
	key := types.NamespacedName{Namespace: "ns", Name: "a"}
	errs := make(chan error, 3)
	go func() { _, err := c.do(context.Background(), key, remember("first"), f.write); errs <- err }()
	writing(&c, key)
	for i, id := range []string{"second", "third"} {
		go func() { _, err := c.do(context.Background(), key, remember(id), f.write); errs <- err }()
		queuedBehind(&c, key, i+1)
	}
	close(f.release)
	for range 3 {
		if err := <-errs; err == nil {
			t.Fatal("a delivery in a failed write was answered as stored")
		}
	}
}

func TestDeliveriesForOtherObjectsDoNotWait(t *testing.T) {
	var c coalescer[*billingv1alpha1.Subscription]
	held := &fakeWrites{release: make(chan struct{})}
	free := &fakeWrites{release: make(chan struct{})}
	close(free.release)
	done := make(chan struct{})
	go func() {
		_, _ = c.do(context.Background(), types.NamespacedName{Name: "held"}, remember("x"), held.write)
		close(done)
	}()
	if o, err := c.do(context.Background(), types.NamespacedName{Name: "other"}, remember("y"), free.write); err != nil ||
		o != outcomeApplied {
		t.Fatalf("other object: %v %v", o, err)
	}
	close(held.release)
	<-done
}
