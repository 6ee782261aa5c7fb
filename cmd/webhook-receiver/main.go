// Command webhook-receiver is the operator's webhook sidecar: it receives Dodo Payments'
// signed webhooks and writes what they say into Subscription and OnDemandCharge status, so
// that active, on_hold and failed show up as conditions within seconds.
//
// It serves plain HTTP on --listen (default :9443); TLS terminates at the Ingress or the
// load balancer in front of it. The default ports (:9443 webhooks, :8082 metrics, :8083
// probes) stay clear of the manager container's (:8080 metrics, :8081 probes) in the same
// Pod. It is stateless and needs no leader election: run as many replicas as wanted.
//
// Each Dodo account has its own path (see internal/accounts): /dodo/webhooks/namespaces/
// <namespace>/<name> for a DodoAccount, /dodo/webhooks/cluster/<name> for a
// ClusterDodoAccount. A delivery there is verified with the account's
// spec.webhook.secretRef (and previousSecretRef during a rotation), read from its Secret
// with GET and reused for a minute, and applied to that account's objects only. Every
// other path is the default account's: objects without spec.accountRef.
//
// The default account's signing secret comes from --webhook-key-file or
// DODO_PAYMENTS_WEBHOOK_KEY; during a rotation, --previous-webhook-key-file holds the old
// one. These are read at start: roll the Pods after changing them (the accounts' Secrets
// need no restart).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/cachetrim"
	"github.com/dodo-operator/dodo-operator/internal/logging"
	"github.com/dodo-operator/dodo-operator/internal/webhookreceiver"
)

// shutdownTimeout leaves in-flight deliveries time to store their writes (Dodo waits 15 s).
const shutdownTimeout = 20 * time.Second

type flags struct {
	listen, metricsAddr, probeAddr string
	keyFile, previousKeyFile       string
	tolerance, notFoundGrace       time.Duration
	maxBodyBytes                   int64
	watchNamespaces                string
	log                            logging.Options
}

func parseFlags() flags {
	var f flags
	flag.StringVar(&f.listen, "listen", ":9443", "address for Dodo's webhook deliveries (plain HTTP; TLS ends at the Ingress)")
	flag.StringVar(&f.metricsAddr, "metrics-bind-address", ":8082", "address of the Prometheus metrics endpoint (0 disables it)")
	flag.StringVar(&f.probeAddr, "health-probe-bind-address", ":8083", "address of /healthz and /readyz")
	flag.StringVar(&f.keyFile, "webhook-key-file", "", "file holding the whsec_ signing secret (default: $"+webhookreceiver.EnvWebhookKey+")")
	flag.StringVar(&f.previousKeyFile, "previous-webhook-key-file", "", "file holding the previous secret, accepted during a rotation")
	flag.DurationVar(&f.tolerance, "timestamp-tolerance", webhookreceiver.DefaultTimestampTolerance,
		"how far webhook-timestamp may be from now")
	flag.Int64Var(&f.maxBodyBytes, "max-body-bytes", webhookreceiver.DefaultMaxBodyBytes, "largest delivery body accepted (413 above)")
	flag.DurationVar(&f.notFoundGrace, "not-found-grace", webhookreceiver.DefaultNotFoundGrace,
		"how long after an event a missing stamped object answers 503 so Dodo retries")
	flag.StringVar(&f.watchNamespaces, "watch-namespaces", "",
		"comma-separated namespaces whose objects deliveries may change (default: all), as the operator's flag")
	f.log.BindFlags(flag.CommandLine)
	flag.Parse()
	return f
}

func main() {
	f := parseFlags()
	log, err := logging.New(os.Stderr, f.log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctrl.SetLogger(log)
	if err := run(ctrl.SetupSignalHandler(), f, log); err != nil {
		log.Error(err, "Webhook receiver stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags, log logr.Logger) error {
	secrets, err := webhookreceiver.LoadSecrets(os.Getenv, f.keyFile, f.previousKeyFile)
	noDefault := errors.Is(err, webhookreceiver.ErrNoDefaultSecret) && f.keyFile == ""
	switch {
	case noDefault:
		log.Info("No webhook secret of the receiver's own: the default path answers 404; accounts' paths are served")
	case err != nil:
		return err
	}
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	cfg := ctrl.GetConfigOrDie()
	mgr, err := newManager(cfg, scheme, f)
	if err != nil {
		return err
	}
	if err := webhookreceiver.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	// Fresh reads and status writes go straight to the API server, never through the cache.
	apiClient, err := client.New(cfg, client.Options{Scheme: scheme, HTTPClient: mgr.GetHTTPClient(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return fmt.Errorf("creating the API client: %w", err)
	}
	var synced atomic.Bool
	receiver, err := webhookreceiver.New(webhookreceiver.Options{
		Secrets: secrets, NoDefaultAccount: noDefault, Client: apiClient, Cache: mgr.GetCache(), Ready: synced.Load,
		// Accounts come from the cache, started for them on the first account delivery (so
		// an install without the account CRDs or RBAC still serves the default path);
		// Secrets are read with GET from the API server, never cached or watched.
		Accounts: mgr.GetCache(), SecretReader: mgr.GetAPIReader(),
		TimestampTolerance: f.tolerance, MaxBodyBytes: f.maxBodyBytes, NotFoundGrace: f.notFoundGrace,
		Logger: log.WithName("webhook-receiver"), Recorder: mgr.GetEventRecorder("dodo-webhook-receiver"),
	})
	if err != nil {
		return err
	}
	if err := addRunnables(mgr, receiver, f.listen, &synced); err != nil {
		return err
	}
	log.Info("Starting the webhook receiver", "listen", f.listen, "previousSecret", f.previousKeyFile != "")
	return mgr.Start(ctx)
}

// newManager runs the cache, the metrics server and the probes; no leader election: every
// replica serves webhooks.
func newManager(cfg *rest.Config, scheme *runtime.Scheme, f flags) (manager.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: f.metricsAddr},
		HealthProbeBindAddress: f.probeAddr,
		LeaderElection:         false,
		Cache: cache.Options{DefaultTransform: cachetrim.Transform(),
			DefaultNamespaces: cachetrim.Namespaces(f.watchNamespaces)},
		GracefulShutdownTimeout: ptr.To(shutdownTimeout + 5*time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	return mgr, nil
}

func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := billingv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}

func addRunnables(mgr manager.Manager, receiver *webhookreceiver.Receiver, listen string, synced *atomic.Bool) error {
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("cache-synced", receiver.ReadyzCheck); err != nil {
		return err
	}
	if err := mgr.Add(runnable(func(ctx context.Context) error {
		if mgr.GetCache().WaitForCacheSync(ctx) {
			synced.Store(true)
		}
		<-ctx.Done()
		return nil
	})); err != nil {
		return err
	}
	return mgr.Add(runnable(func(ctx context.Context) error { return serve(ctx, listen, receiver) }))
}

// serve runs the webhook endpoint until ctx ends, then lets in-flight deliveries finish.
func serve(ctx context.Context, listen string, handler http.Handler) error {
	srv := &http.Server{
		Addr: listen, Handler: handler,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second,
	}
	failed := make(chan error, 1)
	go func() { failed <- srv.ListenAndServe() }()
	select {
	case err := <-failed:
		return fmt.Errorf("serving webhooks on %s: %w", listen, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting the webhook server down: %w", err)
	}
	return nil
}

// runnable is a manager runnable that runs on every replica (no leader election).
type runnable func(ctx context.Context) error

func (r runnable) Start(ctx context.Context) error { return r(ctx) }

func (runnable) NeedLeaderElection() bool { return false }
