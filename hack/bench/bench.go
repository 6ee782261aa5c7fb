package main

import (
	"context"
	"errors"
	"time"

	"github.com/dodo-operator/dodo-operator/test/harness"
)

// benchNamespace holds the measured Subscriptions.
const benchNamespace = "bench"

// bench is one running system with its operator.
type bench struct {
	cfg     config
	bins    harness.Binaries
	sys     *harness.System
	op      *harness.Component
	ns      string
	tracker *tracker
}

// startBench starts the control plane, the simulator, the receiver (when asked) and the
// operator with its defaults, except the flags the benchmark sets.
func startBench(ctx context.Context, cfg config, bins harness.Binaries, dir string, sim harness.SimOptions) (*bench, error) {
	sys, err := harness.StartSystem(ctx, dir, bins, harness.SystemOptions{Sim: sim, Receiver: cfg.webhooks})
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, bins: bins, sys: sys, ns: benchNamespace}
	if err := sys.Client.Create(ctx, harness.Namespace(b.ns)); err != nil {
		_ = sys.Stop()
		return nil, err
	}
	if err := b.startOperator(ctx, 0); err != nil {
		_ = sys.Stop()
		return nil, err
	}
	return b, nil
}

// startOperator starts the operator; resync 0 keeps its default (1h).
func (b *bench) startOperator(ctx context.Context, resync time.Duration) error {
	op, err := b.sys.NewOperator(harness.OperatorOptions{
		MaxConcurrentReconciles: b.cfg.workers, RequestsPerSecond: b.cfg.operatorRPS, ResyncInterval: resync,
	})
	if err != nil {
		return err
	}
	if err := op.StartAndWait(ctx, 2*time.Minute); err != nil {
		return err
	}
	b.op = op
	return nil
}

// restartOperator stops the operator (SIGTERM) and starts it with another resync interval.
func (b *bench) restartOperator(ctx context.Context, resync time.Duration) error {
	if err := b.op.Stop(30 * time.Second); err != nil {
		return err
	}
	return b.startOperator(ctx, resync)
}

func (b *bench) stop() {
	var errs []error
	if b.op != nil {
		errs = append(errs, b.op.Stop(30*time.Second))
	}
	errs = append(errs, b.sys.Stop())
	_ = errors.Join(errs...)
}
