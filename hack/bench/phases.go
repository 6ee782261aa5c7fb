package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dodo-operator/dodo-operator/test/harness"
)

// webhookResult is what the webhook phase measured.
type webhookResult struct {
	// bareRate is the ceiling: a bare status-patch loop's writes/s (bareStatusLoop).
	bareRate                    float64
	bareFailed                  int
	saturationRate              float64
	saturationOK, saturationBad int
	// atRate is the delay measurement at the requested rate; sustainable, when the
	// requested rate is above what saturation showed, at half the saturation rate.
	atRate, sustainable *delayResult
}

// delayResult is one steady-rate delay measurement.
type delayResult struct {
	offered, achieved     float64
	sent, refused, unseen int
	p50, p99, max         time.Duration
}

// runWebhooks measures the sidecar: events per second at saturation, then the delay from
// sending an event to its condition being visible to a watcher at the requested steady
// rate, and at half the saturation rate when the requested one is more than the system
// sustains.
func runWebhooks(ctx context.Context, b *bench) (webhookResult, error) {
	var res webhookResult
	source, err := newEventSource(b.sys.Sim, b.ns, b.sys.Receiver.WebhookURL)
	if err != nil {
		return res, err
	}
	res.bareRate, res.bareFailed, err = bareStatusLoop(ctx, b.sys.CP.Config, b.sys.Client, b.ns, b.cfg.webhookConcurrency,
		b.cfg.webhookDuration)
	if err != nil {
		return res, fmt.Errorf("bare status-patch loop: %w", err)
	}
	time.Sleep(5 * time.Second) // the operator's reconciles of the last writes
	res.saturationRate, res.saturationOK, res.saturationBad = source.saturate(ctx, b.cfg.webhookConcurrency, b.cfg.webhookDuration)
	res.atRate = measureDelays(ctx, b, source, b.cfg.webhookRate)
	if b.cfg.webhookRate > 0.8*res.saturationRate {
		res.sustainable = measureDelays(ctx, b, source, res.saturationRate/2)
	}
	return res, nil
}

func measureDelays(ctx context.Context, b *bench, source *eventSource, rate float64) *delayResult {
	time.Sleep(5 * time.Second) // drain the previous measurement and the operator's follow-up writes
	b.tracker.takeDelays()
	res := &delayResult{offered: rate}
	start := time.Now()
	res.sent, res.refused = source.steady(ctx, b.tracker, rate, b.cfg.webhookDuration)
	res.achieved = float64(res.sent) / time.Since(start).Seconds()
	time.Sleep(2 * time.Second) // the last events' watch notifications
	delays, unseen := b.tracker.takeDelays()
	res.unseen = unseen
	res.p50, res.p99, res.max = percentile(delays, 0.50), percentile(delays, 0.99), percentile(delays, 1)
	return res
}

// steadyResult is the payments API traffic of a quiet system with webhooks flowing.
type steadyResult struct {
	resync, window       time.Duration
	eventsSent           int
	reads, writes        int
	readsPerSubPerHour   float64
	writesPerSubPerHour  float64
	expectedReadsPerHour float64
}

// runSteady restarts the operator with a short resync interval, lets the start-up reads
// pass, then counts payments API calls over a window while webhooks flow, and scales them
// to calls per subscription per hour (measured at this interval, not extrapolated to
// another).
func runSteady(ctx context.Context, b *bench) (steadyResult, error) {
	res := steadyResult{resync: b.cfg.steadyResync, window: b.cfg.steadyWindow}
	if err := b.restartOperator(ctx, b.cfg.steadyResync); err != nil {
		return res, err
	}
	time.Sleep(b.cfg.steadyResync + b.cfg.steadyResync/5) // the start-up reads, then one ±10% spread
	source, err := newEventSource(b.sys.Sim, b.ns, b.sys.Receiver.WebhookURL)
	if err != nil {
		return res, err
	}
	before := b.sys.Sim.Calls.Snapshot()
	res.eventsSent, _ = source.steady(ctx, nil, b.cfg.steadyEvents, b.cfg.steadyWindow)
	calls := b.sys.Sim.Calls.Snapshot().Sub(before)
	creates, reads, writes := calls.Kinds()
	res.reads, res.writes = reads, creates+writes
	perHour := float64(time.Hour) / float64(b.cfg.steadyWindow) / float64(b.cfg.n)
	res.readsPerSubPerHour = float64(res.reads) * perHour
	res.writesPerSubPerHour = float64(res.writes) * perHour
	res.expectedReadsPerHour = float64(time.Hour) / float64(b.cfg.steadyResync)
	return res, nil
}

// rateLimitedResult is the run against a simulator enforcing Dodo's limit.
type rateLimitedResult struct {
	n, limitPerMinute int
	elapsed           time.Duration
	calls             harness.CallCounts
	rejected          int
	conditions429     map[string]string
	// limitBound is the time the calls made need at the limit; floor the time of the
	// fewest calls that can make n Subscriptions Active (a create and a read each).
	limitBound, floor time.Duration
	events            map[string]int
	writes            *harness.WriteReport
}

// runRateLimited starts a fresh system whose simulator enforces limit requests per minute,
// runs the operator with its default client-side limit, and applies n Subscriptions.
func runRateLimited(ctx context.Context, cfg config, bins harness.Binaries, dir string) (res rateLimitedResult, err error) {
	res = rateLimitedResult{n: cfg.rateLimitedN, limitPerMinute: cfg.rateLimit}
	rlDir := filepath.Join(dir, "rate-limited")
	if err := os.MkdirAll(rlDir, 0o700); err != nil {
		return res, err
	}
	rlCfg := cfg
	rlCfg.n, rlCfg.operatorRPS = cfg.rateLimitedN, 0 // the operator's default limit
	b, err := startBench(ctx, rlCfg, bins, rlDir, harness.SimOptions{Seed: cfg.seed, RateLimitPerMinute: cfg.rateLimit})
	if err != nil {
		return res, err
	}
	defer b.stop()
	defer func() { res.writes = b.writeReport() }()
	scale, err := runScale(ctx, b)
	if err != nil {
		return res, err
	}
	res.elapsed, res.calls, res.events = scale.elapsed, scale.calls, scale.events
	res.rejected = scale.calls.Status(429)
	res.conditions429 = b.tracker.rateLimitedConditions()
	needed := scale.calls.Total() - res.rejected
	res.limitBound = atLimit(needed, cfg.rateLimit)
	res.floor = atLimit(2*cfg.rateLimitedN, cfg.rateLimit)
	return res, nil
}

// atLimit is how long calls take at perMinute requests per minute after the burst of 10.
func atLimit(calls, perMinute int) time.Duration {
	burst := min(10, perMinute)
	return time.Duration(float64(max(calls-burst, 0)) / float64(perMinute) * float64(time.Minute))
}

// percentile of durations (q in [0,1]); 0 when there are none.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	idx := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(idx, 0), len(sorted)-1)]
}

func mib(bytes int64) string { return fmt.Sprintf("%.1f MiB", float64(bytes)/(1<<20)) }
