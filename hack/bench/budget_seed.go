package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/subscription"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// seedSubscriptions creates n Subscriptions and their Dodo subscriptions (simulator not
// yet limited), with status as the operator writes it after a read, last read spread
// over one resync interval.
func seedSubscriptions(ctx context.Context, b *bench, n int, resync time.Duration) error {
	api, err := b.sys.Sim.Client()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: seeding %d Subscriptions\n", n)
	next := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range next {
				if err := seedOne(ctx, b.sys.Client, api, b.ns, i, resync); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range n {
		select {
		case next <- i:
		case err := <-errs:
			close(next)
			wg.Wait()
			return err
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

func seedOne(ctx context.Context, c client.Client, api *dodo.Client, ns string, i int, resync time.Duration) error {
	sub := harness.RegularSubscription(ns, fmt.Sprintf("bulk-%05d", i), billingv1alpha1.DeletionPolicyOrphan)
	sub.Finalizers = []string{subscription.Finalizer}
	if err := c.Create(ctx, sub); err != nil {
		return err
	}
	created, err := api.CreateSubscription(ctx, subscription.CreateRequestFor(sub))
	if err != nil {
		return err
	}
	got, err := api.GetSubscription(ctx, created.SubscriptionID)
	if err != nil {
		return err
	}
	last := metav1.NewTime(time.Now().Add(-time.Duration(rand.Float64() * float64(resync))))
	// The webhook receiver writes the same status on the create's webhooks: on a conflict,
	// start again from its copy.
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(sub), sub); err != nil {
			return err
		}
		providerstate.MirrorSubscription(&sub.Status, got)
		sub.Status.LastObservedAt, sub.Status.ObservedGeneration = &last, sub.Generation
		return c.Status().Update(ctx, sub)
	})
}

// latencySamples is how many new objects of each kind a latency measure times: the
// median of five, because one object on a loaded machine says more about the load.
const latencySamples = 5

// medianLatency is newObjectLatency's median over latencySamples objects, one after the
// other.
func medianLatency(ctx context.Context, b *bench, prefix string) (time.Duration, time.Duration, error) {
	subs, charges := make([]time.Duration, 0, latencySamples), make([]time.Duration, 0, latencySamples)
	for i := range latencySamples {
		sub, charge, err := newObjectLatency(ctx, b, fmt.Sprintf("%s-%d", prefix, i))
		if err != nil {
			return 0, 0, err
		}
		subs, charges = append(subs, sub), append(charges, charge)
	}
	fmt.Fprintf(os.Stderr, "bench: %s new Subscription %v, new OnDemandCharge %v\n", prefix, subs, charges)
	return median(subs), median(charges), nil
}

func median(ds []time.Duration) time.Duration {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// newObjectLatency times a new Subscription to Active and Ready, and a new OnDemandCharge
// (on a new on-demand Subscription, not timed) to Succeeded.
func newObjectLatency(ctx context.Context, b *bench, prefix string) (time.Duration, time.Duration, error) {
	c := b.sys.Client
	start := time.Now()
	sub := harness.RegularSubscription(b.ns, prefix+"-sub", billingv1alpha1.DeletionPolicyCancel)
	if err := c.Create(ctx, sub); err != nil {
		return 0, 0, err
	}
	if err := poll(ctx, func() (bool, error) { return activeAndReady(ctx, c, b.ns, sub.Name) }); err != nil {
		return 0, 0, err
	}
	subTook := time.Since(start)
	od := harness.OnDemandSubscription(b.ns, prefix+"-od", prefix+"-od"+harness.EmailDomain)
	if err := c.Create(ctx, od); err != nil {
		return 0, 0, err
	}
	if err := poll(ctx, func() (bool, error) { return activeAndReady(ctx, c, b.ns, od.Name) }); err != nil {
		return 0, 0, err
	}
	start = time.Now()
	charge := harness.Charge(b.ns, prefix+"-charge", od.Name, 500)
	if err := c.Create(ctx, charge); err != nil {
		return 0, 0, err
	}
	err := poll(ctx, func() (bool, error) {
		got := &billingv1alpha1.OnDemandCharge{}
		err := c.Get(ctx, client.ObjectKeyFromObject(charge), got)
		return got.Status.Phase == billingv1alpha1.ChargePhaseSucceeded, err
	})
	return subTook, time.Since(start), err
}

func activeAndReady(ctx context.Context, c client.Client, ns, name string) (bool, error) {
	got := &billingv1alpha1.Subscription{}
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, got)
	return err == nil && isActiveAndReady(got), err
}

// poll checks every 100 ms for up to 10 minutes.
func poll(ctx context.Context, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return errors.New("timed out")
		}
	}
}
