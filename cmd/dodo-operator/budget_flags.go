package main

import (
	"flag"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dodo-operator/dodo-operator/internal/bulkobserve"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// budgetFlags configure the per-key request budget (docs/operations.md, "Capacity per
// API key").
type budgetFlags struct {
	backgroundShare float64
	maxPerSecond    int
}

func (f *budgetFlags) bind(fs *flag.FlagSet) {
	fs.Float64Var(&f.backgroundShare, "dodo-background-share", dodo.DefaultBackgroundShare,
		"Share of --dodo-requests-per-second that background reads (resync, bulk observation) may use; "+
			"the rest is kept for money calls (create, charge, plan and payment-method changes, cancel) and new objects.")
	fs.IntVar(&f.maxPerSecond, "dodo-max-requests-in-one-second", dodo.DefaultMaxPerSecond,
		"Never more Dodo requests than this in any one-second window (Dodo's documented burst); "+
			"no cap when --dodo-requests-per-second is above it.")
}

func (f *budgetFlags) apply(cfg *dodo.Config) {
	cfg.BackgroundShare = f.backgroundShare
	cfg.MaxPerSecond = f.maxPerSecond
}

// bulkFlags configure bulk observation (package bulkobserve).
type bulkFlags struct {
	enabled bool
	maxAge  time.Duration
}

func (f *bulkFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.enabled, "bulk-observe", true,
		"Serve resyncs from one shared scan of GET /subscriptions (pages of 100) instead of one GET per subscription; "+
			"a subscription whose listed state changed is still read on its own before anything is written.")
	fs.DurationVar(&f.maxAge, "bulk-observe-max-age", 0,
		"How old a scan may be and still serve a resync of an object that has not seen it (default: --resync-interval).")
}

// observer builds the shared observer, registers its metrics and adds it to the manager;
// nil when bulk observation is off.
func (f *bulkFlags) observer(mgr manager.Manager, api *dodo.Client, resync time.Duration) (*bulkobserve.Observer, error) {
	if !f.enabled {
		return nil, nil
	}
	maxAge := f.maxAge
	if maxAge <= 0 {
		maxAge = resync
	}
	o := bulkobserve.New(api, nil, bulkobserve.Options{MaxAge: maxAge})
	if err := o.RegisterMetrics(metrics.Registry); err != nil {
		return nil, err
	}
	return o, mgr.Add(o)
}
