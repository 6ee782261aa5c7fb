package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// scaleResult is what the N-at-once phase measured.
type scaleResult struct {
	n       int
	elapsed time.Duration
	calls   harness.CallCounts
	// Operator memory: resident set after start (idle), peak (VmHWM) and at the end.
	opIdle, opPeak, opEnd int64
	// opHeapIdle and opHeapEnd are the operator's go_memstats_heap_inuse_bytes.
	opHeapIdle, opHeapEnd float64
	// opSettled and opHeapSettled are VmRSS and the heap in use settleAfterBurst after a
	// forced collection at the end of the phase.
	opSettled     int64
	opHeapSettled float64
	receiverPeak  int64
	// receiverConflicts is the receiver's own count of its conflicting Subscription writes.
	receiverConflicts float64
	reconciles        float64
	writes            harness.APIWrites
	// events counts the operator's Kubernetes Events by reason (Created, Found, ...).
	events map[string]int
	// cpu is the CPU time each process used during the phase.
	cpu cpuTimes
}

// settleAfterBurst is how long after the burst (and a forced collection) memory is read
// again.
const settleAfterBurst = 30 * time.Second

// runScale applies n Subscriptions at once and waits until all are Active and Ready.
func runScale(ctx context.Context, b *bench) (scaleResult, error) {
	res := scaleResult{n: b.cfg.n}
	t, err := startTracker(ctx, b.sys.CP.Config, b.sys.CP.Scheme, b.ns, b.cfg.n)
	if err != nil {
		return res, err
	}
	b.tracker = t
	time.Sleep(2 * time.Second) // let the operator settle before taking its idle size
	mem, err := harness.ReadMemory(b.op.PID())
	if err != nil {
		return res, err
	}
	res.opIdle, res.opHeapIdle = mem.Current, b.operatorHeap(ctx)
	if err := b.watchWrites(ctx); err != nil {
		return res, err
	}
	if err := b.phase(ctx, fmt.Sprintf("%d at once", b.cfg.n)); err != nil {
		return res, err
	}
	calls0, reconciles0, receiverConflicts0 := b.sys.Sim.Calls.Snapshot(), b.reconciles(ctx), b.receiverConflicts(ctx)
	writes0, err := subscriptionWrites(ctx, b.sys.CP.Config)
	if err != nil {
		return res, err
	}
	cpu0, start := readCPU(), time.Now()
	if err := applySubscriptions(ctx, b.sys.Client, b.ns, b.cfg.n, b.cfg.applyWorkers); err != nil {
		return res, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	if err := t.waitAllActive(waitCtx); err != nil {
		return res, err
	}
	res.elapsed, res.cpu = t.lastActive().Sub(start), readCPU().minus(cpu0)
	res.calls = b.sys.Sim.Calls.Snapshot().Sub(calls0)
	res.reconciles = b.reconciles(ctx) - reconciles0
	res.receiverConflicts = b.receiverConflicts(ctx) - receiverConflicts0
	writes1, err := subscriptionWrites(ctx, b.sys.CP.Config)
	if err != nil {
		return res, err
	}
	res.writes = writes1.Minus(writes0)
	if err := b.phase(ctx, ""); err != nil {
		return res, err
	}
	if mem, err = harness.ReadMemory(b.op.PID()); err != nil {
		return res, err
	}
	res.opPeak, res.opEnd, res.opHeapEnd = mem.Peak, mem.Current, b.operatorHeap(ctx)
	if err := b.saveHeapProfile(ctx); err != nil {
		return res, err
	}
	// What stays: after that collection the runtime returns what it does not need to the
	// OS within seconds; the burst's garbage and headroom are not memory per object.
	time.Sleep(settleAfterBurst)
	if mem, err = harness.ReadMemory(b.op.PID()); err != nil {
		return res, err
	}
	res.opSettled, res.opHeapSettled = mem.Current, b.operatorHeap(ctx)
	if b.sys.Receiver != nil {
		if rmem, err := harness.ReadMemory(b.sys.Receiver.PID()); err == nil {
			res.receiverPeak = rmem.Peak
		}
	}
	res.events, err = eventReasons(ctx, b.sys.Client, b.ns)
	return res, err
}

// eventReasons counts the Events of namespace by reason (a repeated Event counts each
// time it happened).
func eventReasons(ctx context.Context, c client.Client, ns string) (map[string]int, error) {
	list := &eventsv1.EventList{}
	if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	out := map[string]int{}
	for _, ev := range list.Items {
		n := 1
		if ev.Series != nil {
			n = int(ev.Series.Count)
		}
		out[ev.Reason] += n
	}
	return out, nil
}

// applySubscriptions creates n Subscriptions with workers parallel clients, like an
// `kubectl apply` of n objects.
func applySubscriptions(ctx context.Context, c client.Client, ns string, n, workers int) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				sub := harness.RegularSubscription(ns, subscriptionName(i), billingv1alpha1.DeletionPolicyCancel)
				if err := c.Create(ctx, sub); err != nil {
					errs <- fmt.Errorf("creating %s: %w", sub.Name, err)
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

func subscriptionName(i int) string { return fmt.Sprintf("sub-%05d", i) }

// reconciles is the subscription controller's reconcile count so far.
func (b *bench) reconciles(ctx context.Context) float64 {
	text, err := b.op.Metrics(ctx)
	if err != nil {
		return 0
	}
	return harness.MetricSum(text, "controller_runtime_reconcile_total", map[string]string{"controller": "subscription"})
}

// subscriptionWrites reads the API server's write counters for Subscriptions.
func subscriptionWrites(ctx context.Context, cfg *rest.Config) (harness.APIWrites, error) {
	w, err := harness.ScrapeAPIWrites(ctx, cfg)
	return w["subscriptions"], err
}

// operatorHeap is the operator's Go heap in use (its metrics endpoint), 0 when unread.
func (b *bench) operatorHeap(ctx context.Context) float64 {
	text, err := b.op.Metrics(ctx)
	if err != nil {
		return 0
	}
	return harness.MetricSum(text, "go_memstats_heap_inuse_bytes", nil)
}

// receiverConflicts is the receiver's count of Subscription status writes that conflicted
// (0 without a receiver).
func (b *bench) receiverConflicts(ctx context.Context) float64 {
	if b.sys.Receiver == nil {
		return 0
	}
	text, err := b.sys.Receiver.Metrics(ctx)
	if err != nil {
		return 0
	}
	return harness.MetricSum(text, "dodo_webhook_status_write_conflicts_total", map[string]string{"kind": "Subscription"})
}
