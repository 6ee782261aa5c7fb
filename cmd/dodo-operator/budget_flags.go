package main

import (
	"flag"

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
