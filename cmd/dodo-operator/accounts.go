package main

import (
	"errors"
	"flag"
	"time"

	"golang.org/x/time/rate"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/controller/account"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// scopeFlags limit what the operator watches.
type scopeFlags struct {
	watchNamespaces string
}

// bindAccountFlags binds the account controllers' options.
func bindAccountFlags(fs *flag.FlagSet, o *account.Options) {
	fs.DurationVar(&o.RecheckInterval, "account-recheck-interval", 10*time.Minute,
		"How often a Ready DodoAccount's or ClusterDodoAccount's API key is checked again (one GET /brands).")
	fs.DurationVar(&o.NotReadyRecheck, "account-not-ready-recheck", 30*time.Second,
		"How soon an account that is not Ready is checked again (its Secret may have been created or fixed).")
}

func (f *scopeFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.watchNamespaces, "watch-namespaces", "",
		"Comma-separated namespaces whose Subscriptions, OnDemandCharges and DodoAccounts the operator watches "+
			"(default: all). ClusterDodoAccounts are cluster-scoped and always watched.")
}

// paymentsConfig is the configuration every payments client shares, from the environment
// and flags. hasKey is false when the operator has no API key of its own: then only
// objects with an accountRef are served.
func paymentsConfig(opts options) (cfg dodo.Config, hasKey bool, err error) {
	cfg, err = dodo.ConfigFromEnv()
	switch {
	case errors.Is(err, dodo.ErrNoAPIKey):
	case err != nil:
		return cfg, false, err
	}
	if opts.baseURL != "" {
		cfg.BaseURL = opts.baseURL
	}
	if opts.environment != "" {
		cfg.Environment = dodo.Environment(opts.environment)
	}
	if opts.rateLimit > 0 {
		cfg.RateLimit = rate.Limit(opts.rateLimit)
	}
	opts.budget.apply(&cfg)
	return cfg, err == nil, nil
}

// paymentsClients builds the operator's own client (the default account; nil without a
// key) and the accounts' clients.
func paymentsClients(opts options, mgr manager.Manager) (*accounts.Clients, error) {
	cfg, hasKey, err := paymentsConfig(opts)
	if err != nil {
		return nil, err
	}
	clientOpts := []dodo.Option{dodo.WithMetrics(metrics.Registry), dodo.WithLogger(ctrl.Log.WithName("dodo"))}
	// Half the workers at most for one saturated account: the rest keep serving the others.
	clients := &accounts.Clients{Reader: mgr.GetClient(), SecretReader: mgr.GetAPIReader(), Options: clientOpts,
		SlotsPerAccount: max(1, opts.maxConcurrent/2)}
	if hasKey {
		if clients.Default, err = dodo.New(cfg, clientOpts...); err != nil {
			return nil, err
		}
	} else {
		ctrl.Log.Info("No API key of the operator's own (DODO_PAYMENTS_API_KEY): only objects with spec.accountRef are served")
	}
	cfg.APIKey = dodo.Secret{}
	clients.Base = cfg
	return clients, nil
}
