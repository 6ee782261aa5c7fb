// Command dodo-operator runs the controllers that reconcile Subscription and
// OnDemandCharge objects against the Dodo Payments API.
//
// The payments API is configured like Dodo's SDKs: DODO_PAYMENTS_API_KEY (or
// DODO_PAYMENTS_API_KEY_FILE, a mounted Secret), and DODO_PAYMENTS_ENVIRONMENT
// (test_mode or live_mode) or DODO_PAYMENTS_BASE_URL (for example the local simulator).
// Flags of the same meaning override the environment.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/bulkobserve"
	"github.com/dodo-operator/dodo-operator/internal/cachetrim"
	"github.com/dodo-operator/dodo-operator/internal/controller/account"
	"github.com/dodo-operator/dodo-operator/internal/controller/ondemandcharge"
	"github.com/dodo-operator/dodo-operator/internal/controller/subscription"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/logging"
)

type options struct {
	metricsAddr, probeAddr, pprofAddr string
	metrics                           metricsFlags
	leaderElect                       bool
	leaderNamespace                   string
	lease, renew, retry               time.Duration
	baseURL, environment              string
	rateLimit                         float64
	budget                            budgetFlags
	bulk                              bulkFlags
	maxConcurrent                     int
	scope                             scopeFlags
	subscription                      subscription.Options
	charges                           ondemandcharge.Options
	accounts                          account.Options
}

func main() {
	opts := options{}
	flag.StringVar(&opts.metricsAddr, "metrics-bind-address", ":8080", "Address of the Prometheus metrics endpoint; 0 disables it.")
	flag.StringVar(&opts.probeAddr, "health-probe-bind-address", ":8081", "Address of /healthz and /readyz.")
	flag.StringVar(&opts.pprofAddr, "pprof-bind-address", "0",
		"Address of Go's /debug/pprof profiles (for measuring memory and CPU); 0, the default, disables it.")
	flag.BoolVar(&opts.leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles.")
	flag.StringVar(&opts.leaderNamespace, "leader-election-namespace", "",
		"Namespace of the leader Lease (default: the Pod's namespace; needed outside a cluster).")
	flag.DurationVar(&opts.lease, "lease-duration", 15*time.Second, "How long a leader's lease lasts without renewal.")
	flag.DurationVar(&opts.renew, "renew-deadline", 10*time.Second, "How long the leader keeps trying to renew.")
	flag.DurationVar(&opts.retry, "retry-period", 2*time.Second, "How often candidates try to take the lease.")
	flag.StringVar(&opts.baseURL, "dodo-base-url", "", "Payments API base URL (overrides DODO_PAYMENTS_BASE_URL and the environment).")
	flag.StringVar(&opts.environment, "dodo-environment", "", "test_mode or live_mode (overrides DODO_PAYMENTS_ENVIRONMENT).")
	flag.Float64Var(&opts.rateLimit, "dodo-requests-per-second", 0, "Client-side rate limit (default 1.5/s, under Dodo's 100/min).")
	flag.DurationVar(&opts.subscription.ResyncInterval, "resync-interval", time.Hour, "How often each subscription is read from Dodo.")
	flag.DurationVar(&opts.subscription.CreateSettle, "create-settle", 30*time.Second,
		"Wait after an unanswered create before looking the subscription up.")
	flag.DurationVar(&opts.subscription.CreateAbsentAfter, "create-absent-after", 5*time.Minute,
		"After an unanswered create, believe a lookup that finds nothing only this long after the call "+
			"(Dodo's lists lag behind its writes); only then is the create made again.")
	flag.DurationVar(&opts.subscription.PlanChangeConfirmWithin, "plan-change-confirm-within", time.Hour,
		"After a change-plan, a read that shows it neither applied nor scheduled this long after makes Ready say "+
			"PlanChangeNotApplied (it is never sent again without the resend-plan-change annotation).")
	flag.DurationVar(&opts.charges.Settle, "charge-settle", 30*time.Second,
		"Wait after an unanswered charge before looking its payment up.")
	flag.DurationVar(&opts.charges.AbsentAfter, "charge-absent-after", 5*time.Minute,
		"After an unanswered charge, believe a lookup that finds no payment only this long after the call; "+
			"only then is the attempt made again.")
	flag.IntVar(&opts.maxConcurrent, "max-concurrent-reconciles", 4,
		"Parallel reconciles per controller (Subscription and OnDemandCharge each).")
	flag.IntVar(&opts.charges.MaxInFlightPerCustomer, "max-charges-in-flight-per-customer", 1,
		"Charge attempts in flight at once for one customer, retries included.")
	flag.IntVar(&opts.charges.MaxInFlight, "max-charges-in-flight", 10, "Charge attempts in flight at once for the whole account.")
	flag.DurationVar(&opts.charges.OutcomeTimeout, "charge-outcome-timeout", 10*time.Minute,
		"Wait for a payment's webhook this long before reading the payment instead.")
	opts.metrics.bind(flag.CommandLine)
	opts.budget.bind(flag.CommandLine)
	opts.bulk.bind(flag.CommandLine)
	opts.scope.bind(flag.CommandLine)
	bindAccountFlags(flag.CommandLine, &opts.accounts)
	var logOpts logging.Options
	logOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	opts.subscription.MaxConcurrentReconciles = opts.maxConcurrent
	opts.charges.MaxConcurrentReconciles = opts.maxConcurrent
	log, err := logging.New(os.Stderr, logOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctrl.SetLogger(log)

	if err := run(opts); err != nil {
		ctrl.Log.Error(err, "Operator stopped")
		os.Exit(1)
	}
}

func run(opts options) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := billingv1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 opts.metrics.serverOptions(opts.metricsAddr),
		HealthProbeBindAddress:  opts.probeAddr,
		PprofBindAddress:        opts.pprofAddr,
		LeaderElection:          opts.leaderElect,
		LeaderElectionID:        "dodo-operator.billing.dodo-operator.io",
		LeaderElectionNamespace: opts.leaderNamespace,
		LeaseDuration:           &opts.lease,
		RenewDeadline:           &opts.renew,
		RetryPeriod:             &opts.retry,
		// The controllers never read managedFields or the last-applied annotation: the
		// cache need not hold them, a large share of a small object's size.
		Cache: cache.Options{DefaultTransform: cachetrim.Transform(),
			DefaultNamespaces: cachetrim.Namespaces(opts.scope.watchNamespaces)},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	clients, err := paymentsClients(opts, mgr)
	if err != nil {
		return err
	}
	if err := setupControllers(opts, mgr, clients); err != nil {
		return err
	}
	if err := addHealthChecks(mgr, clients.Default); err != nil {
		return err
	}
	baseURL := "none (accounts only)"
	if clients.Default != nil {
		baseURL = clients.Default.BaseURL()
	}
	ctrl.Log.Info("Starting the operator", "paymentsAPI", baseURL, "watchNamespaces", opts.scope.watchNamespaces)
	return mgr.Start(ctrl.SetupSignalHandler())
}

func setupControllers(opts options, mgr ctrl.Manager, clients *accounts.Clients) error {
	var bulk *bulkobserve.Observer
	if clients.Default != nil {
		var err error
		if bulk, err = opts.bulk.observer(mgr, clients.Default, opts.subscription.ResyncInterval); err != nil {
			return fmt.Errorf("setting up bulk observation: %w", err)
		}
	}
	subscriptions := &subscription.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Accounts:  clients,
		Recorder:  mgr.GetEventRecorder("dodo-operator"),
		Options:   opts.subscription,
		Metrics:   subscription.NewMetrics(metrics.Registry),
		Bulk:      bulk,
	}
	if clients.Default != nil { // never a typed nil in the interface
		subscriptions.API = clients.Default
	}
	if err := subscriptions.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the subscription controller: %w", err)
	}
	charges := &ondemandcharge.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Accounts:  clients,
		Recorder:  mgr.GetEventRecorder("dodo-operator"),
		Options:   opts.charges,
		Metrics:   ondemandcharge.NewMetrics(metrics.Registry),
	}
	if clients.Default != nil {
		charges.API = clients.Default
	}
	if err := charges.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the on-demand charge controller: %w", err)
	}
	accountsReconciler := &account.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Accounts:  clients,
		Recorder:  mgr.GetEventRecorder("dodo-operator"),
		Options:   opts.accounts,
	}
	if err := accountsReconciler.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the account controllers: %w", err)
	}
	return nil
}

func addHealthChecks(mgr ctrl.Manager, api *dodo.Client) error {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	if api == nil {
		return nil
	}
	if err := registerCredentialsMetric(metrics.Registry, api); err != nil {
		return err
	}
	// A refused API key makes every call fail: say so on /readyz (and in Synced).
	return mgr.AddReadyzCheck("dodo-credentials", func(*http.Request) error { return api.CredentialsError() })
}
