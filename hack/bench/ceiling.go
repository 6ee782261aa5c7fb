package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/test/harness"
	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// ceilingPlan is the work of the bare client-go loop: the same number of creates, object
// updates and status writes on Subscriptions as the operator's run made (the operator
// and the webhook receiver together).
type ceilingPlan struct {
	n, updates, statusWrites, workers int
}

// ceilingResult is one ceiling's time and CPU.
type ceilingResult struct {
	plan    ceilingPlan
	elapsed time.Duration
	cpu     cpuTimes
}

// writesFor spreads total writes over n objects: object i does its share.
func writesFor(i, n, total int) int {
	share := total / n
	if i < total%n {
		share++
	}
	return share
}

// runCeiling runs the plan with a bare client-go dynamic client (no cache, no client-side
// rate limit, like controller-runtime's default) in its own namespace, and returns how
// long it took. The objects stay: nothing runs on this API server afterwards.
func runCeiling(ctx context.Context, cfg *rest.Config, ns string, plan ceilingPlan) (time.Duration, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	resource := dyn.Resource(testenv.GVR("subscriptions")).Namespace(ns)
	next := make(chan int)
	errs := make(chan error, plan.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for range plan.workers {
		wg.Go(func() {
			for i := range next {
				if err := ceilingObject(ctx, resource, ns, i, plan); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range plan.n {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return elapsed, nil
}

// ceilingObject creates object i, then writes its metadata and its status as many times
// as the operator did for one object on average.
func ceilingObject(ctx context.Context, resource dynamic.ResourceInterface, ns string, i int, plan ceilingPlan) error {
	sub := harness.RegularSubscription(ns, fmt.Sprintf("ceiling-%05d", i), billingv1alpha1.DeletionPolicyCancel)
	sub.APIVersion, sub.Kind = billingv1alpha1.GroupVersion.String(), "Subscription"
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(sub)
	if err != nil {
		return err
	}
	if _, err := resource.Create(ctx, &unstructured.Unstructured{Object: content}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("ceiling create: %w", err)
	}
	for k := range writesFor(i, plan.n, plan.updates) {
		patch := fmt.Appendf(nil, `{"metadata":{"labels":{"bench-step":"%d"}}}`, k)
		if _, err := resource.Patch(ctx, sub.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("ceiling update: %w", err)
		}
	}
	for k := range writesFor(i, plan.n, plan.statusWrites) {
		if _, err := resource.Patch(ctx, sub.Name, types.MergePatchType, statusPatch(i, k), metav1.PatchOptions{}, "status"); err != nil {
			return fmt.Errorf("ceiling status write: %w", err)
		}
	}
	return nil
}

// statusPatch is a status write of the size the operator makes: the Dodo mirror and the
// Ready, Synced, Stalled and Active conditions.
func statusPatch(i, k int) []byte {
	now := time.Now().UTC().Format(time.RFC3339)
	condition := func(t, status, reason string) string {
		return fmt.Sprintf(`{"type":%q,"status":%q,"reason":%q,"message":"bench write %d","lastTransitionTime":%q,"observedGeneration":1}`,
			t, status, reason, k, now)
	}
	return fmt.Appendf(nil, `{"status":{"subscriptionID":"sub_ceiling_%05d","providerStatus":"active","customerID":"cus_%05d",`+
		`"currency":"USD","nextBillingDate":%q,"lastObservedAt":%q,"observedGeneration":1,"conditions":[%s,%s,%s,%s]}}`,
		i, i, now, now, condition("Ready", "True", "Available"), condition("Synced", "True", "ReconcileSuccess"),
		condition("Stalled", "False", "NotStalled"), condition("Active", "True", "Active"))
}
