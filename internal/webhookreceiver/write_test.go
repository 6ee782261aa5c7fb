package webhookreceiver

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// frozenReader answers every Get with one saved copy (or NotFound when there is none): a
// cache that lags behind the API server.
type frozenReader struct {
	client.Reader
	copy  *billingv1alpha1.Subscription
	reads int
}

func (f *frozenReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	f.reads++
	if f.copy == nil {
		return apierrors.NewNotFound(schema.GroupResource{Group: "billing.dodo-operator.io", Resource: "subscriptions"}, key.Name)
	}
	f.copy.DeepCopyInto(obj.(*billingv1alpha1.Subscription))
	return nil
}

func TestWriteStatusNeverDropsAnEventBecauseOfALaggingCache(t *testing.T) {
	ctx := context.Background()
	rememberEvent := func(id string) func(*billingv1alpha1.Subscription) outcome {
		return func(s *billingv1alpha1.Subscription) outcome {
			if slices.Contains(s.Status.RecentWebhookIDs, id) {
				return outcomeDuplicate
			}
			s.Status.RecentWebhookIDs = append(s.Status.RecentWebhookIDs, id)
			return outcomeApplied
		}
	}
	// Each case's cache copy, and the conflicts the write meets on its way (a stale copy
	// costs one; a copy that decides nothing sends the write to the stored copy first).
	wantConflicts := map[string]int32{"the cache is one write behind": 1}
	cases := map[string]func(stored *billingv1alpha1.Subscription) *billingv1alpha1.Subscription{
		"the cache is one write behind": func(stored *billingv1alpha1.Subscription) *billingv1alpha1.Subscription {
			old := stored.DeepCopy()
			stored.Status.RecentWebhookIDs = []string{"msg_other"}
			if err := env.Client.Status().Update(ctx, stored); err != nil {
				t.Fatal(err)
			}
			return old
		},
		"the cache says duplicate, the stored copy does not": func(stored *billingv1alpha1.Subscription) *billingv1alpha1.Subscription {
			odd := stored.DeepCopy()
			odd.Status.RecentWebhookIDs = []string{"msg_new"}
			return odd
		},
		"the cache has not seen the object yet": func(*billingv1alpha1.Subscription) *billingv1alpha1.Subscription { return nil },
	}
	for name, cacheCopy := range cases {
		t.Run(name, func(t *testing.T) {
			stored := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "w-" + rand.String(6), Namespace: "default"},
				Spec: billingv1alpha1.SubscriptionSpec{ProductID: "p", Quantity: 1, Customer: billingv1alpha1.CustomerSpec{ID: "c"},
					Billing: billingv1alpha1.BillingAddress{Country: "US"}}}
			if err := env.Client.Create(ctx, stored); err != nil {
				t.Fatal(err)
			}
			cached := &frozenReader{copy: cacheCopy(stored)}
			var conflicts atomic.Int32
			result, err := writeStatus(ctx, env.Client, cached, client.ObjectKeyFromObject(stored),
				func() *billingv1alpha1.Subscription { return &billingv1alpha1.Subscription{} }, rememberEvent("msg_new"),
				func() { conflicts.Add(1) })
			if got := conflicts.Load(); got != wantConflicts[name] {
				t.Errorf("conflicts counted: %d, want %d", got, wantConflicts[name])
			}
			got := &billingv1alpha1.Subscription{}
			if gerr := env.Client.Get(ctx, client.ObjectKeyFromObject(stored), got); gerr != nil {
				t.Fatal(gerr)
			}
			if err != nil || result != outcomeApplied || !slices.Contains(got.Status.RecentWebhookIDs, "msg_new") || cached.reads != 1 {
				t.Fatalf("result %s, err %v, stored ids %v, cache reads %d; want applied and stored, the cache read once",
					result, err, got.Status.RecentWebhookIDs, cached.reads)
			}
		})
	}
}

// TestANewSubscriptionIsReadFromTheStoredCopyFirst: a cached copy without a subscription
// ID belongs to an object the controller is creating right now, whose next write is moments
// away; the receiver reads the stored copy first instead of writing on the cached one and
// meeting a conflict. Every other object is read from the cache first.
func TestANewSubscriptionIsReadFromTheStoredCopyFirst(t *testing.T) {
	key := client.ObjectKey{Namespace: "ns", Name: "s"}
	creating := &billingv1alpha1.Subscription{}
	created := &billingv1alpha1.Subscription{Status: billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub_1"}}
	for name, tc := range map[string]struct {
		cached    *billingv1alpha1.Subscription
		fromCache bool
	}{
		"being created":        {creating, false},
		"created":              {created, true},
		"not in the cache yet": {nil, false},
	} {
		t.Run(name, func(t *testing.T) {
			cache := &frozenReader{copy: tc.cached}
			clk := clocktesting.NewFakePassiveClock(testStart)
			r := &Receiver{cache: cache, clock: clk}
			got := r.subscriptionReader(context.Background(), key)
			if (got != nil) != tc.fromCache {
				t.Fatalf("reads the cache first: %v, want %v", got != nil, tc.fromCache)
			}
			r.own.wrote(key, clk.Now()) // the receiver's own write: its cache may not show it yet
			if r.subscriptionReader(context.Background(), key) != nil {
				t.Fatal("read the cache right after the receiver's own write")
			}
			clk.SetTime(clk.Now().Add(ownWriteWindow))
			if got := r.subscriptionReader(context.Background(), key); (got != nil) != tc.fromCache {
				t.Fatalf("after the window: reads the cache first: %v, want %v", got != nil, tc.fromCache)
			}
		})
	}
	if (&Receiver{clock: clocktesting.NewFakePassiveClock(testStart)}).subscriptionReader(context.Background(), key) != nil {
		t.Fatal("a receiver without a cache has no cache to read")
	}
}
