package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
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
	receiverPeak          int64
	reconciles            float64
	writes                apiWrites
	// events counts the operator's Kubernetes Events by reason (Created, Found, ...).
	events map[string]int
	// cpu is the CPU time each process used during the phase.
	cpu cpuTimes
}

// apiWrites are the API server's successful writes on Subscriptions, by kind, from its
// apiserver_request_total metric.
type apiWrites struct {
	creates, updates, statusWrites, conflicts float64
}

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
	res.opIdle = mem.Current
	calls0, reconciles0 := b.sys.Sim.Calls.Snapshot(), b.reconciles(ctx)
	writes0, err := scrapeAPIWrites(ctx, b.sys.CP.Config)
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
	writes1, err := scrapeAPIWrites(ctx, b.sys.CP.Config)
	if err != nil {
		return res, err
	}
	res.writes = writes1.minus(writes0)
	if mem, err = harness.ReadMemory(b.op.PID()); err != nil {
		return res, err
	}
	res.opPeak, res.opEnd = mem.Peak, mem.Current
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

func scrapeAPIWrites(ctx context.Context, cfg *rest.Config) (apiWrites, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return apiWrites{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.Host, "/")+"/metrics", nil)
	if err != nil {
		return apiWrites{}, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return apiWrites{}, fmt.Errorf("scraping the API server: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	text, err := readAll(resp)
	if err != nil {
		return apiWrites{}, err
	}
	return parseAPIWrites(text), nil
}

// parseAPIWrites sums apiserver_request_total for subscriptions: successful creates,
// updates of the object (finalizers) and status writes, and conflicts of any write.
func parseAPIWrites(text string) apiWrites {
	sum := func(keep func(verb, subresource, code string) bool) float64 {
		return harness.MetricSumWhere(text, "apiserver_request_total", func(l map[string]string) bool {
			return l["resource"] == "subscriptions" && keep(l["verb"], l["subresource"], l["code"])
		})
	}
	ok := func(code string) bool { return strings.HasPrefix(code, "2") }
	write := func(verb string) bool { return verb == "PUT" || verb == "PATCH" }
	return apiWrites{
		creates:      sum(func(v, s, c string) bool { return v == "POST" && ok(c) }),
		updates:      sum(func(v, s, c string) bool { return write(v) && s == "" && ok(c) }),
		statusWrites: sum(func(v, s, c string) bool { return write(v) && s == "status" && ok(c) }),
		conflicts:    sum(func(v, s, c string) bool { return (write(v) || v == "POST") && c == "409" }),
	}
}

func (w apiWrites) minus(before apiWrites) apiWrites {
	return apiWrites{creates: w.creates - before.creates, updates: w.updates - before.updates,
		statusWrites: w.statusWrites - before.statusWrites, conflicts: w.conflicts - before.conflicts}
}
