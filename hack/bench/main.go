// Command bench measures the operator on one machine: an envtest control plane, the
// payments simulator (in this process, every API call counted), and the real operator
// and webhook receiver as child processes. It prints a Markdown table (see
// docs/benchmarks.md for what each line means):
//
//	go run ./hack/bench -n 1000                      # N at once, ceiling, webhooks, steady state
//	go run ./hack/bench -n 0 -rate-limited-n 100     # only the rate-limited run, small
//
// Phases, in order: N Subscriptions applied at once (time to all Active, payments API
// calls, operator memory, reconciles/s); the webhook sidecar at saturation and at a steady
// rate; steady-state payments API calls with webhooks flowing; the ceiling (a bare
// client-go loop making the same writes); and, on a fresh system, the rate-limited run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/dodo-operator/dodo-operator/test/harness"
)

// config holds the flags.
type config struct {
	n, workers, applyWorkers, ceilingWorkers int
	operatorRPS                              float64
	webhooks, steady, ceiling, ceilingSame   bool
	webhookConcurrency                       int
	webhookRate, steadyEvents                float64
	webhookDuration                          time.Duration
	steadyResync, steadyWindow               time.Duration
	rateLimitedN, rateLimit                  int
	budgetN                                  int
	budgetResync, budgetWindow               time.Duration
	budgetSatResync, budgetSatWindow         time.Duration
	timeout                                  time.Duration
	seed                                     uint64
	heapProfile                              string
	keepLogs                                 bool
	writers                                  bool
}

func parseFlags() config {
	var c config
	flag.IntVar(&c.n, "n", 1000, "Subscriptions applied at once (0 skips the scale, webhook, steady and ceiling phases)")
	flag.IntVar(&c.workers, "workers", 4, "operator --max-concurrent-reconciles (4 is its default)")
	flag.IntVar(&c.applyWorkers, "apply-workers", 16, "parallel creates when applying the Subscriptions")
	flag.IntVar(&c.ceilingWorkers, "ceiling-workers", 0, "parallel workers of the bare client-go loop (0: as many as -workers)")
	flag.Float64Var(&c.operatorRPS, "operator-rps", 1000, "operator --dodo-requests-per-second in the unthrottled phases")
	flag.BoolVar(&c.webhooks, "webhooks", true, "run the webhook receiver (and measure it)")
	flag.BoolVar(&c.steady, "steady", true, "measure steady-state payments API calls")
	flag.BoolVar(&c.ceiling, "ceiling", true, "measure the bare client-go ceilings (minimal writes, then the same writes)")
	flag.BoolVar(&c.ceilingSame, "ceiling-same", true, "also measure the ceiling that makes the same writes as the run")
	flag.IntVar(&c.webhookConcurrency, "webhook-concurrency", 32, "concurrent senders at webhook saturation")
	flag.Float64Var(&c.webhookRate, "webhook-rate", 200, "steady webhook rate (events/s) for the delay percentiles")
	flag.DurationVar(&c.webhookDuration, "webhook-duration", 15*time.Second, "length of each webhook measurement")
	flag.DurationVar(&c.steadyResync, "steady-resync", 30*time.Second, "operator --resync-interval in the steady-state phase")
	flag.DurationVar(&c.steadyWindow, "steady-window", 3*time.Minute, "how long steady-state calls are counted")
	flag.Float64Var(&c.steadyEvents, "steady-events", 20, "webhook events per second during the steady-state window")
	flag.IntVar(&c.rateLimitedN, "rate-limited-n", 1000, "Subscriptions of the rate-limited run (0 skips it)")
	flag.IntVar(&c.rateLimit, "rate-limit", 100, "the simulator's limit in the rate-limited run, requests per minute")
	flag.IntVar(&c.budgetN, "budget-n", 0, "Subscriptions pre-provisioned for the budget run (0 skips it): bulk resync "+
		"calls per Subscription, new objects with the budget idle and saturated, at -rate-limit")
	flag.DurationVar(&c.budgetResync, "budget-resync", 6*time.Minute, "operator --resync-interval in the budget run's steady phase")
	flag.DurationVar(&c.budgetWindow, "budget-window", 12*time.Minute, "how long the budget run counts steady calls")
	flag.DurationVar(&c.budgetSatResync, "budget-saturated-resync", 30*time.Second, "resync that saturates the budget")
	flag.DurationVar(&c.budgetSatWindow, "budget-saturated-window", 3*time.Minute, "saturated time before measuring new objects")
	flag.DurationVar(&c.timeout, "timeout", time.Hour, "how long to wait for all Subscriptions to be Active")
	flag.Uint64Var(&c.seed, "seed", 1, "simulator seed")
	flag.BoolVar(&c.keepLogs, "keep-logs", false, "keep the process logs (printed path)")
	flag.StringVar(&c.heapProfile, "heap-profile", "", "write the operator's heap profile (live objects, after a GC) "+
		"at the end of the scale phase to this file")
	flag.BoolVar(&c.writers, "writers", true, "attribute every write on Subscriptions and OnDemandCharges to its writer "+
		"(a watch with managedFields in the benchmark's process) and print writes per object by writer")
	flag.Parse()
	if c.ceilingWorkers <= 0 {
		c.ceilingWorkers = c.workers
	}
	return c
}

func main() {
	cfg := parseFlags()
	ctrl.SetLogger(logr.Discard()) // the tracker's informer logs nothing worth showing
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) (err error) {
	dir, err := os.MkdirTemp("", "dodo-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if cfg.keepLogs || err != nil {
			fmt.Fprintln(os.Stderr, "bench: logs in", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	rep := report{cfg: cfg, machineBefore: describeMachine()}
	fmt.Fprintln(os.Stderr, "bench: building the operator and the webhook receiver")
	bins, err := harness.BuildBinaries(ctx, dir)
	if err != nil {
		return err
	}
	// Whatever was measured is printed, even when a later phase fails.
	defer func() {
		rep.machineAfter = describeMachine()
		rep.print(os.Stdout)
	}()
	if cfg.n > 0 {
		if err := runMain(ctx, cfg, bins, dir, &rep); err != nil {
			return err
		}
	}
	if cfg.rateLimitedN > 0 {
		fmt.Fprintf(os.Stderr, "bench: rate-limited run, %d Subscriptions at %d requests/minute\n", cfg.rateLimitedN, cfg.rateLimit)
		rl, err := runRateLimited(ctx, cfg, bins, dir)
		if err != nil {
			return fmt.Errorf("rate-limited run: %w", err)
		}
		rep.rateLimited = &rl
	}
	if cfg.budgetN > 0 {
		bu, err := runBudget(ctx, cfg, bins, dir)
		rep.budget = &bu
		if err != nil {
			return fmt.Errorf("budget run: %w", err)
		}
	}
	return nil
}

// runMain runs the phases that share one system: scale, webhooks, steady state, ceiling.
func runMain(ctx context.Context, cfg config, bins harness.Binaries, dir string, rep *report) error {
	b, err := startBench(ctx, cfg, bins, dir, harness.SimOptions{Seed: cfg.seed})
	if err != nil {
		return err
	}
	defer b.stop()
	defer func() { rep.writes = b.writeReport() }()
	fmt.Fprintf(os.Stderr, "bench: applying %d Subscriptions at once\n", cfg.n)
	scale, err := runScale(ctx, b)
	if err != nil {
		return fmt.Errorf("scale phase: %w", err)
	}
	rep.scale = &scale
	if cfg.webhooks {
		fmt.Fprintln(os.Stderr, "bench: webhook sidecar at saturation, then at a steady rate")
		if err := b.phase(ctx, "webhooks"); err != nil {
			return err
		}
		wh, err := runWebhooks(ctx, b)
		if err != nil {
			return fmt.Errorf("webhook phase: %w", err)
		}
		rep.webhook = &wh
	}
	if cfg.webhooks && cfg.steady {
		fmt.Fprintf(os.Stderr, "bench: steady state, resync %s, window %s\n", cfg.steadyResync, cfg.steadyWindow)
		if err := b.phase(ctx, "steady state (restart, then the window)"); err != nil {
			return err
		}
		st, err := runSteady(ctx, b)
		if err != nil {
			return fmt.Errorf("steady-state phase: %w", err)
		}
		rep.steady = &st
	}
	if err := b.phase(ctx, ""); err != nil {
		return err
	}
	if !cfg.ceiling {
		return nil
	}
	if err := b.op.Stop(30 * time.Second); err != nil {
		return err
	}
	// The minimal-writes ceiling: what the minimum makes (create, finalizer patch, one
	// status write with the ID, Dodo's view and the conditions).
	fmt.Fprintln(os.Stderr, "bench: ceiling (bare client-go loop, minimal writes)")
	minimal, err := ceilingRun(ctx, b, "ceiling-minimal", ceilingPlan{n: cfg.n, updates: cfg.n, statusWrites: cfg.n,
		workers: cfg.ceilingWorkers})
	if err != nil {
		return err
	}
	rep.minimalCeiling = &minimal
	if !cfg.ceilingSame {
		return nil
	}
	fmt.Fprintln(os.Stderr, "bench: ceiling (bare client-go loop, same writes)")
	same, err := ceilingRun(ctx, b, "ceiling", ceilingPlan{n: cfg.n, updates: int(scale.writes.ObjectWrites),
		statusWrites: int(scale.writes.StatusWrites), workers: cfg.ceilingWorkers})
	rep.sameCeiling = &same
	return err
}

// ceilingRun runs one bare client-go ceiling in its own namespace.
func ceilingRun(ctx context.Context, b *bench, ns string, plan ceilingPlan) (ceilingResult, error) {
	res := ceilingResult{plan: plan}
	if err := b.sys.Client.Create(ctx, harness.Namespace(ns)); err != nil {
		return res, err
	}
	cpu0 := readCPU()
	elapsed, err := runCeiling(ctx, b.sys.CP.Config, ns, plan)
	if err != nil {
		return res, fmt.Errorf("ceiling %s: %w", ns, err)
	}
	res.elapsed, res.cpu = elapsed, readCPU().minus(cpu0)
	return res, nil
}
