package main

import (
	"context"
	"sync"
	"time"

	"github.com/dodo-operator/dodo-operator/test/harness"
)

// opSample is one reading of the operator's metrics, at an offset from its start.
type opSample struct {
	at                                  time.Duration
	reconciles, oldestAge, pages, scans float64
}

// sampler reads an operator's metrics at a fixed period until stopped.
type sampler struct {
	mu      sync.Mutex
	samples []opSample
	cancel  context.CancelFunc
	done    chan struct{}
}

func startSampler(ctx context.Context, op *harness.Component, start time.Time, every time.Duration) *sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			text, err := op.Metrics(ctx)
			if err != nil {
				continue // a scrape can time out while both CPUs are busy
			}
			sample := opSample{at: time.Since(start),
				reconciles: harness.MetricSum(text, "controller_runtime_reconcile_total", map[string]string{"controller": "subscription"}),
				oldestAge:  harness.MetricSum(text, "dodo_subscription_oldest_observation_age_seconds", nil),
				pages:      harness.MetricSum(text, "dodo_bulk_observe_pages_total", nil),
				scans:      harness.MetricSum(text, "dodo_bulk_observe_scans_total", map[string]string{"result": "complete"}),
			}
			s.mu.Lock()
			s.samples = append(s.samples, sample)
			s.mu.Unlock()
		}
	}()
	return s
}

// stop ends the readings and returns them.
func (s *sampler) stop() []opSample {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// sampleAt is the last reading at or before offset at (zero when there is none).
func sampleAt(samples []opSample, at time.Duration) opSample {
	var out opSample
	for _, s := range samples {
		if s.at <= at {
			out = s
		}
	}
	return out
}

// maxAge is the highest oldest-observation age read between from and to.
func maxAge(samples []opSample, from, to time.Duration) (float64, bool) {
	best, found := 0.0, false
	for _, s := range samples {
		if s.at >= from && s.at <= to && (!found || s.oldestAge > best) {
			best, found = s.oldestAge, true
		}
	}
	return best, found
}
