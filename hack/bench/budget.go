package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/subscription"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// budgetResult is what the budget run measured (-budget-n).
type budgetResult struct {
	n                       int
	seedTook                time.Duration
	resync, window          time.Duration
	calls                   harness.CallCounts
	statusWrites            float64
	satResync, satWindow    time.Duration
	satCalls                harness.CallCounts
	idleSub, idleCharge     time.Duration
	satSub, satCharge       time.Duration
	requests                simulator.RequestStats
	conditions429, behindEv int
}

// runBudget pre-provisions n Subscriptions (created in the simulator with the operator's
// own create call and stamped, status written as an earlier operator run would have left
// it), then runs the operator at its default client limit against a simulator enforcing
// Dodo's 100 requests/minute: the steady resync's calls, then new objects' latency with the
// budget idle and with it saturated by a short resync.
func runBudget(ctx context.Context, cfg config, bins harness.Binaries, dir string) (budgetResult, error) {
	res := budgetResult{n: cfg.budgetN, resync: cfg.budgetResync, window: cfg.budgetWindow,
		satResync: cfg.budgetSatResync, satWindow: cfg.budgetSatWindow}
	bDir := filepath.Join(dir, "budget")
	if err := os.MkdirAll(bDir, 0o700); err != nil {
		return res, err
	}
	bcfg := cfg
	bcfg.operatorRPS = 0 // the operator's default limit
	b, err := startBench(ctx, bcfg, bins, bDir, harness.SimOptions{Seed: cfg.seed})
	if err != nil {
		return res, err
	}
	defer b.stop()
	if err := b.op.Stop(30 * time.Second); err != nil {
		return res, err
	}
	start := time.Now()
	if err := seedSubscriptions(ctx, b, res.n, res.resync); err != nil {
		return res, fmt.Errorf("seeding: %w", err)
	}
	res.seedTook = time.Since(start)
	b.sys.Sim.SetRateLimit(cfg.rateLimit, 0)
	b.sys.Sim.ResetRequestStats() // the one-second maximum counts the operator, not the seeding
	if err := res.steady(ctx, b); err != nil {
		return res, err
	}
	if err := res.saturated(ctx, b); err != nil {
		return res, err
	}
	res.requests = b.sys.Sim.RequestStats()
	res.conditions429, res.behindEv, err = budgetConditions(ctx, b)
	return res, err
}

// steady starts the operator at the long resync, waits for its start-up pass, measures a
// new object's latency (the budget idle), then counts calls over the window.
func (res *budgetResult) steady(ctx context.Context, b *bench) error {
	fmt.Fprintf(os.Stderr, "bench: budget run, operator at resync %s\n", res.resync)
	if err := b.startOperator(ctx, res.resync); err != nil {
		return err
	}
	if err := waitReconciles(ctx, b, float64(res.n)); err != nil {
		return err
	}
	// The first scan serves every object that came due while the operator was down.
	if err := poll(ctx, func() (bool, error) {
		// A scrape can time out while the operator's start-up pass keeps both CPUs busy:
		// only the answer counts.
		text, err := b.op.Metrics(ctx)
		return err == nil && harness.MetricSum(text, "dodo_bulk_observe_scans_total", map[string]string{"result": "complete"}) >= 1, nil
	}); err != nil {
		return fmt.Errorf("waiting for the first scan: %w", err)
	}
	var err error
	if res.idleSub, res.idleCharge, err = newObjectLatency(ctx, b, "idle"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: counting calls for %s\n", res.window)
	calls0 := b.sys.Sim.Calls.Snapshot()
	writes0, err := scrapeAPIWrites(ctx, b.sys.CP.Config)
	if err != nil {
		return err
	}
	if err := sleepCtx(ctx, res.window); err != nil {
		return err
	}
	res.calls = b.sys.Sim.Calls.Snapshot().Sub(calls0)
	writes1, err := scrapeAPIWrites(ctx, b.sys.CP.Config)
	res.statusWrites = writes1.minus(writes0).statusWrites
	return err
}

// saturated restarts the operator at a resync so short that scans run back to back (the
// background share is spent), then measures a new object's latency again.
func (res *budgetResult) saturated(ctx context.Context, b *bench) error {
	fmt.Fprintf(os.Stderr, "bench: budget saturated, resync %s\n", res.satResync)
	if err := b.restartOperator(ctx, res.satResync); err != nil {
		return err
	}
	calls0 := b.sys.Sim.Calls.Snapshot()
	if err := sleepCtx(ctx, res.satWindow); err != nil {
		return err
	}
	res.satCalls = b.sys.Sim.Calls.Snapshot().Sub(calls0)
	var err error
	res.satSub, res.satCharge, err = newObjectLatency(ctx, b, "saturated")
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// waitReconciles waits until the subscription controller has reconciled at least n times
// (its start-up pass over every object).
func waitReconciles(ctx context.Context, b *bench, n float64) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	for b.reconciles(ctx) < n {
		if err := sleepCtx(ctx, 5*time.Second); err != nil {
			return fmt.Errorf("waiting for %v reconciles: %w", n, err)
		}
	}
	return nil
}

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

// budgetConditions counts conditions of Subscriptions and charges that mention a rate
// limit, and the ResyncBehind Events.
func budgetConditions(ctx context.Context, b *bench) (int, int, error) {
	subs := &billingv1alpha1.SubscriptionList{}
	if err := b.sys.Client.List(ctx, subs, client.InNamespace(b.ns)); err != nil {
		return 0, 0, err
	}
	charges := &billingv1alpha1.OnDemandChargeList{}
	if err := b.sys.Client.List(ctx, charges, client.InNamespace(b.ns)); err != nil {
		return 0, 0, err
	}
	n := 0
	var conds []metav1.Condition
	for i := range subs.Items {
		conds = append(conds, subs.Items[i].Status.Conditions...)
	}
	for i := range charges.Items {
		conds = append(conds, charges.Items[i].Status.Conditions...)
	}
	for _, c := range conds {
		if mentionsRateLimit(c.Message) {
			n++
		}
	}
	reasons, err := eventReasons(ctx, b.sys.Client, b.ns)
	return n, reasons["ResyncBehind"], err
}

func (r report) budgetRows() []row {
	bu := r.budget
	if bu == nil {
		return nil
	}
	resyncs := bu.window.Seconds() / bu.resync.Seconds()
	perSub := float64(bu.calls.Total()) / float64(bu.n) / resyncs
	ratio := func(sat, idle time.Duration) string { return fmt.Sprintf("%.2fx", sat.Seconds()/idle.Seconds()) }
	return []row{
		{fmt.Sprintf("Budget run: %d Subscriptions pre-provisioned, simulator at %d requests/minute", bu.n, r.cfg.rateLimit),
			fmt.Sprintf("seeded in %s", seconds(bu.seedTook)), "created in the simulator with the operator's create call, status as after a read"},
		{fmt.Sprintf("Steady resync %s, window %s: payments API calls per Subscription per resync", bu.resync, bu.window),
			fmt.Sprintf("%.4f", perSub), fmt.Sprintf("goal <= 0.02; %d calls (%s); %.0f status writes on Subscriptions",
				bu.calls.Total(), routesText(bu.calls), bu.statusWrites)},
		{"New Subscription -> Active and Ready: idle / saturated", fmt.Sprintf("%s / %s (%s)", millis(bu.idleSub),
			millis(bu.satSub), ratio(bu.satSub, bu.idleSub)), "goal <= 1.2x"},
		{"New OnDemandCharge -> Succeeded: idle / saturated", fmt.Sprintf("%s / %s (%s)", millis(bu.idleCharge),
			millis(bu.satCharge), ratio(bu.satCharge, bu.idleCharge)), "goal <= 1.2x"},
		{fmt.Sprintf("Saturated: resync %s, %s before the measure", bu.satResync, bu.satWindow),
			fmt.Sprintf("%d calls (%.2f/s)", bu.satCalls.Total(), float64(bu.satCalls.Total())/bu.satWindow.Seconds()),
			routesText(bu.satCalls)},
		{"Simulator: most requests in one second / 429s answered", fmt.Sprintf("%d / %d", bu.requests.MaxInOneSecond,
			bu.requests.RateLimited), fmt.Sprintf("goal <= 10 / -; %d requests after the seeding", bu.requests.Total)},
		{"Conditions mentioning a rate limit / ResyncBehind Events", fmt.Sprintf("%d / %d", bu.conditions429, bu.behindEv),
			"goal: no 429 reaching a condition"},
	}
}
