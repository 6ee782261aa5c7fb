package webhookreceiver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	toolscache "k8s.io/client-go/tools/cache"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// BenchmarkVerifyAndApply measures deliveries per second through the whole path on the
// test API server (verify, decode, index lookup, fresh read, status update), and the delay
// from sending a delivery to its status being visible in an informer, which is what the
// controllers watch (p50/p99). Every delivery flips a subscription between active and
// on_hold, so every one is a real write. Run:
//
//	KUBEBUILDER_ASSETS=$PWD/bin/k8s go test -run='^$' -bench=VerifyAndApply -benchtime=300x ./internal/webhookreceiver/
func BenchmarkVerifyAndApply(b *testing.B) {
	f := newFixture(b)
	ids := benchSubscriptions(f, 4)
	deliveries := benchDeliveries(b, f, ids, b.N)
	seen := watchAppliedEvents(b, f.ns)
	sent := make([]time.Time, len(deliveries))

	b.ResetTimer()
	started := time.Now()
	for i, d := range deliveries {
		sent[i] = time.Now()
		if code := f.post(d.header, d.body); code != http.StatusOK {
			b.Fatalf("delivery %d: status %d", i, code)
		}
	}
	elapsed := time.Since(started)
	b.StopTimer()

	b.ReportMetric(float64(len(deliveries))/elapsed.Seconds(), "events/s")
	delays := seen.delays(b, deliveries, sent)
	b.ReportMetric(percentile(delays, 50).Seconds()*1000, "p50-visible-ms")
	b.ReportMetric(percentile(delays, 99).Seconds()*1000, "p99-visible-ms")
}

// benchDeliveries signs n deliveries spread over the subscriptions, one second apart.
func benchDeliveries(b *testing.B, f *fixture, ids []string, n int) []recordedDelivery {
	out := make([]recordedDelivery, n)
	for i := range n {
		eventType, status := dodo.EventSubscriptionOnHold, dodo.SubscriptionStatusOnHold
		if (i/len(ids))%2 == 1 {
			eventType, status = dodo.EventSubscriptionActive, dodo.SubscriptionStatusActive
		}
		body := envelope(b, eventType, testStart.Add(time.Duration(i)*time.Second), subscriptionData(ids[i%len(ids)], status, nil))
		out[i] = recordedDelivery{header: signedHeader(b, testSecret, fmt.Sprintf("msg_bench_%d", i), f.clock.Now(), body), body: body}
	}
	return out
}

// appliedEvents records when an informer first sees each webhook-id as a status's
// lastWebhookEvent.
type appliedEvents struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func watchAppliedEvents(b *testing.B, namespace string) *appliedEvents {
	b.Helper()
	a := &appliedEvents{seen: map[string]time.Time{}}
	informer, err := indexCache.GetInformer(context.Background(), &billingv1alpha1.Subscription{})
	if err != nil {
		b.Fatalf("informer: %v", err)
	}
	registration, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{UpdateFunc: func(_, obj any) {
		sub, ok := obj.(*billingv1alpha1.Subscription)
		if !ok || sub.Namespace != namespace || sub.Status.LastWebhookEvent == nil {
			return
		}
		now := time.Now()
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, done := a.seen[sub.Status.LastWebhookEvent.ID]; !done {
			a.seen[sub.Status.LastWebhookEvent.ID] = now
		}
	}})
	if err != nil {
		b.Fatalf("event handler: %v", err)
	}
	b.Cleanup(func() { _ = informer.RemoveEventHandler(registration) })
	return a
}

// delays waits until every delivery was seen and returns the send-to-visible delays.
func (a *appliedEvents) delays(b *testing.B, deliveries []recordedDelivery, sent []time.Time) []time.Duration {
	b.Helper()
	out := make([]time.Duration, len(deliveries))
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		for i, d := range deliveries {
			at, ok := a.seen[d.header.Get("webhook-id")]
			if !ok {
				return false, nil
			}
			out[i] = at.Sub(sent[i])
		}
		return true, nil
	})
	if err != nil {
		b.Fatalf("not every delivery became visible: %v", err)
	}
	return out
}

// benchSubscriptions creates n Subscriptions with recorded IDs and returns the IDs.
func benchSubscriptions(f *fixture, n int) []string {
	ids := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("bench-%d", i)
		f.createSubscription(name)
		ids[i] = fmt.Sprintf("sub_%s_%d", f.ns, i)
		f.recordSubscriptionID(name, ids[i])
	}
	return ids
}

func percentile(delays []time.Duration, p int) time.Duration {
	sorted := slices.Clone(delays)
	slices.Sort(sorted)
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// BenchmarkVerifyAndApplyParallel measures deliveries per second when Dodo sends several
// at once (8 in flight over 16 subscriptions; deliveries for one subscription may race
// and retry on conflicts, as they would in production).
func BenchmarkVerifyAndApplyParallel(b *testing.B) {
	f := newFixture(b)
	ids := benchSubscriptions(f, 16)
	deliveries := benchDeliveries(b, f, ids, b.N)
	var next atomic.Int64
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 deliveries in flight
	b.ResetTimer()
	started := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d := deliveries[next.Add(1)-1]
			if code := f.post(d.header, d.body); code != http.StatusOK {
				b.Errorf("delivery %s: status %d", d.header.Get("webhook-id"), code)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(len(deliveries))/time.Since(started).Seconds(), "events/s")
}
