package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
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
	// writes attributes every write on the namespace's objects to its writer (-writers).
	writes       *harness.WriteWatcher
	cancelWrites context.CancelFunc
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
		Pprof: true, // the memory measure forces a collection through it (saveHeapProfile)
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

// watchWrites starts the write watcher of the bench's namespace, unless -writers=false
// or it runs already.
func (b *bench) watchWrites(ctx context.Context) error {
	if !b.cfg.writers || b.writes != nil {
		return nil
	}
	ctx, b.cancelWrites = context.WithCancel(ctx)
	w, err := harness.WatchWrites(ctx, b.sys.CP.Config, b.ns)
	if err != nil {
		return fmt.Errorf("watching writes: %w", err)
	}
	b.writes = w
	return nil
}

// phase ends the write watcher's current phase and starts name ("" starts none).
func (b *bench) phase(ctx context.Context, name string) error {
	if b.writes == nil {
		return nil
	}
	return b.writes.Phase(ctx, name)
}

// writeReport is what the write watcher counted (nil without one).
func (b *bench) writeReport() *harness.WriteReport {
	if b.writes == nil {
		return nil
	}
	rep := b.writes.Report()
	return &rep
}

func (b *bench) stop() {
	if b.cancelWrites != nil {
		b.cancelWrites()
	}
	var errs []error
	if b.op != nil {
		errs = append(errs, b.op.Stop(30*time.Second))
	}
	errs = append(errs, b.sys.Stop())
	_ = errors.Join(errs...)
}

// saveHeapProfile takes the operator's heap profile, which makes it collect garbage first
// (live objects only), and writes it to -heap-profile when given, for
// `go tool pprof -top -sample_index=inuse_space`.
func (b *bench) saveHeapProfile(ctx context.Context) error {
	if b.op.PprofURL == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.op.PprofURL+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if b.cfg.heapProfile == "" {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	f, err := os.Create(b.cfg.heapProfile)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
