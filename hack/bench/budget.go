package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
	drain                   drainResult
	// samples are readings of the first operator's metrics (the steady phase), every 15 s;
	// firstScan, windowStart and windowEnd are offsets from its start.
	samples                           []opSample
	firstScan, windowStart, windowEnd time.Duration
	writes                            *harness.WriteReport
}

// Phases of the budget run's write watch.
const (
	phaseSeeding   = "seeding"
	phaseStartUp   = "operator start-up (to the first scan)"
	phaseDrain     = "waiting for the webhook queue"
	phaseIdle      = "idle: new objects"
	phaseSteady    = "steady window"
	phaseSatWindow = "saturated: restart and window"
	phaseSat       = "saturated: new objects"
)

// runBudget pre-provisions n Subscriptions (created in the simulator with the operator's
// own create call and stamped, status written as an earlier operator run would have left
// it), then runs the operator at its default client limit against a simulator enforcing
// Dodo's 100 requests/minute: the steady resync's calls, then new objects' latency with the
// budget idle and with it saturated by a short resync.
func runBudget(ctx context.Context, cfg config, bins harness.Binaries, dir string) (res budgetResult, err error) {
	res = budgetResult{n: cfg.budgetN, resync: cfg.budgetResync, window: cfg.budgetWindow,
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
	defer func() { res.writes = b.writeReport() }()
	if err := b.op.Stop(30 * time.Second); err != nil {
		return res, err
	}
	if err := b.watchWrites(ctx); err != nil {
		return res, err
	}
	if err := b.phase(ctx, phaseSeeding); err != nil {
		return res, err
	}
	start := time.Now()
	if err := seedSubscriptions(ctx, b, res.n, res.resync); err != nil {
		return res, fmt.Errorf("seeding: %w", err)
	}
	res.seedTook = time.Since(start)
	drained := startDrain(ctx, b.sys.Sim)
	b.sys.Sim.SetRateLimit(cfg.rateLimit, 0)
	b.sys.Sim.ResetRequestStats() // the one-second maximum counts the operator, not the seeding
	if err := res.steady(ctx, b, drained); err != nil {
		return res, err
	}
	if err := res.saturated(ctx, b); err != nil {
		return res, err
	}
	if err := b.phase(ctx, ""); err != nil {
		return res, err
	}
	res.requests = b.sys.Sim.RequestStats()
	res.conditions429, res.behindEv, err = budgetConditions(ctx, b)
	return res, err
}

// steady starts the operator at the long resync, waits for its start-up pass and for the
// seeding's webhooks to be delivered, measures a new object's latency (the budget idle),
// then counts calls over the window.
func (res *budgetResult) steady(ctx context.Context, b *bench, drained <-chan drainResult) error {
	fmt.Fprintf(os.Stderr, "bench: budget run, operator at resync %s\n", res.resync)
	if err := b.phase(ctx, phaseStartUp); err != nil {
		return err
	}
	if err := b.startOperator(ctx, res.resync); err != nil {
		return err
	}
	opStart := time.Now()
	smp := startSampler(ctx, b.op, opStart, 15*time.Second)
	defer func() { res.samples = smp.stop() }()
	if err := res.waitStartUp(ctx, b); err != nil {
		return err
	}
	res.firstScan = time.Since(opStart)
	if err := res.waitDrain(ctx, b, drained); err != nil {
		return err
	}
	if err := b.phase(ctx, phaseIdle); err != nil {
		return err
	}
	var err error
	if res.idleSub, res.idleCharge, err = medianLatency(ctx, b, "idle"); err != nil {
		return err
	}
	if err := b.phase(ctx, phaseSteady); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: counting calls for %s\n", res.window)
	res.windowStart = time.Since(opStart)
	calls0 := b.sys.Sim.Calls.Snapshot()
	writes0, err := subscriptionWrites(ctx, b.sys.CP.Config)
	if err != nil {
		return err
	}
	if err := sleepCtx(ctx, res.window); err != nil {
		return err
	}
	res.calls = b.sys.Sim.Calls.Snapshot().Sub(calls0)
	res.windowEnd = time.Since(opStart)
	writes1, err := subscriptionWrites(ctx, b.sys.CP.Config)
	res.statusWrites = writes1.Minus(writes0).StatusWrites
	return err
}

// waitStartUp waits for the operator's start-up pass over every object and its first
// complete scan (which serves every object that came due while it was down).
func (res *budgetResult) waitStartUp(ctx context.Context, b *bench) error {
	if err := waitReconciles(ctx, b, float64(res.n)); err != nil {
		return err
	}
	err := poll(ctx, func() (bool, error) {
		// A scrape can time out while the operator's start-up pass keeps both CPUs busy:
		// only the answer counts.
		text, err := b.op.Metrics(ctx)
		return err == nil && harness.MetricSum(text, "dodo_bulk_observe_scans_total", map[string]string{"result": "complete"}) >= 1, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the first scan: %w", err)
	}
	return nil
}

// waitDrain waits until the simulator has delivered every webhook the seeding queued.
func (res *budgetResult) waitDrain(ctx context.Context, b *bench, drained <-chan drainResult) error {
	if err := b.phase(ctx, phaseDrain); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: waiting for the seeding's webhooks to be delivered")
	start := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case res.drain = <-drained:
	}
	res.drain.waited = time.Since(start)
	return res.drain.err
}

// saturated restarts the operator at a resync so short that scans run back to back (the
// background share is spent), then measures a new object's latency again.
func (res *budgetResult) saturated(ctx context.Context, b *bench) error {
	fmt.Fprintf(os.Stderr, "bench: budget saturated, resync %s\n", res.satResync)
	if err := b.phase(ctx, phaseSatWindow); err != nil {
		return err
	}
	if err := b.restartOperator(ctx, res.satResync); err != nil {
		return err
	}
	calls0 := b.sys.Sim.Calls.Snapshot()
	if err := sleepCtx(ctx, res.satWindow); err != nil {
		return err
	}
	res.satCalls = b.sys.Sim.Calls.Snapshot().Sub(calls0)
	if err := b.phase(ctx, phaseSat); err != nil {
		return err
	}
	var err error
	res.satSub, res.satCharge, err = medianLatency(ctx, b, "saturated")
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
