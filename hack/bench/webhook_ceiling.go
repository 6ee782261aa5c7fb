package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// bareStatusLoop is the webhook path's ceiling: what the same API server takes of status
// writes the size of the receiver's, with nothing else done per write (no signature, no
// lookup, no read, no decision). concurrency writers, each owning its own Subscriptions
// like the event senders, merge-patch the receiver's bookkeeping fields (lastWebhookEvent
// and the eight recent webhook IDs), which the operator reads but never rewrites: the
// operator's reconciles still run on every write, as they do behind the receiver, and
// write nothing. It returns the stored writes per second.
func bareStatusLoop(ctx context.Context, cfg *rest.Config, kube client.Client, ns string, concurrency int,
	d time.Duration) (float64, int, error) {
	list := &billingv1alpha1.SubscriptionList{}
	if err := kube.List(ctx, list, client.InNamespace(ns)); err != nil {
		return 0, 0, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, 0, err
	}
	resource := dyn.Resource(testenv.GVR("subscriptions")).Namespace(ns)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok, failed atomic.Int64
	var seq atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range min(concurrency, len(list.Items)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				for i := w; i < len(list.Items) && ctx.Err() == nil; i += concurrency {
					patch := bookkeepingPatch(seq.Add(1))
					_, err := resource.Patch(ctx, list.Items[i].Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
					switch {
					case err == nil:
						ok.Add(1)
					case ctx.Err() == nil:
						failed.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds(), int(failed.Load()), nil
}

// bookkeepingPatch sets lastWebhookEvent and recentWebhookIDs as one receiver write does.
func bookkeepingPatch(n int64) []byte {
	ids := ""
	for k := range int64(8) {
		if k > 0 {
			ids += ","
		}
		ids += fmt.Sprintf("%q", fmt.Sprintf("msg_bare_%d", n*8+k))
	}
	return fmt.Appendf(nil, `{"status":{"lastWebhookEvent":{"id":"msg_bare_%d","type":"subscription.active","timestamp":%q},`+
		`"recentWebhookIDs":[%s]}}`, n, time.Now().UTC().Format(time.RFC3339), ids)
}
