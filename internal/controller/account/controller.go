// Package account reconciles DodoAccount and ClusterDodoAccount: it checks each account's
// API key with one cheap read (the Ready condition, the business and its brands) and,
// when spec.webhook.endpoint asks for it, registers the account's webhook endpoint with
// Dodo and writes its signing secret into the account's Secret. See docs/accounts.md.
package account

import (
	"context"
	"errors"
	"time"

	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// Finalizer holds a deleted account until the webhook endpoint the operator created for
// it is deleted in Dodo. Only accounts with such an endpoint (or a create in flight) have
// it.
const Finalizer = "billing.dodo-operator.io/webhook-endpoint"

// Options tune the reconciler; zero values take the defaults.
type Options struct {
	// RecheckInterval is how often a Ready account's key is checked again (default 10m):
	// a revoked key shows up within it.
	RecheckInterval time.Duration
	// NotReadyRecheck is how soon an account that is not Ready is checked again (default
	// 30s). The operator may only GET Secrets (no watch), so a Secret created or fixed
	// after the account is found by this recheck.
	NotReadyRecheck time.Duration
	// MaxConcurrentReconciles bounds parallel reconciles per kind (default 2).
	MaxConcurrentReconciles int
}

func (o Options) withDefaults() Options {
	if o.RecheckInterval <= 0 {
		o.RecheckInterval = 10 * time.Minute
	}
	if o.NotReadyRecheck <= 0 {
		o.NotReadyRecheck = 30 * time.Second
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 2
	}
	return o
}

// Reconciler reconciles both account kinds.
type Reconciler struct {
	// Client reads accounts (cached) and writes them and the webhook Secret.
	client.Client
	// APIReader reads Secrets past the cache (GET only: the operator may not list or
	// watch Secrets); the manager's API reader when nil at SetupWithManager.
	APIReader client.Reader
	// Accounts makes each account's payments client; the same instance the Subscription
	// controller uses, so an account has one rate limiter and budget.
	Accounts *accounts.Clients
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	Options  Options
}

// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=dodoaccounts;clusterdodoaccounts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=dodoaccounts/status;clusterdodoaccounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=dodoaccounts/finalizers;clusterdodoaccounts/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// ReconcileAccount checks one account and manages its webhook endpoint.
func (r *Reconciler) ReconcileAccount(ctx context.Context, key accounts.Key) (ctrl.Result, error) {
	acct, err := accounts.Get(ctx, r.Client, key)
	var unusable *accounts.NotUsableError
	if errors.As(err, &unusable) && unusable.Reason == accounts.ReasonAccountNotFound {
		return ctrl.Result{}, nil // deleted: nothing is held for it
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	s := newScope(acct, r.clock().Now())
	if !acct.Object.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	result, err := r.reconcileNormal(ctx, s)
	return r.finish(ctx, s, result, err)
}

// SetupWithManager registers one controller per kind. Only spec, annotation and deletion
// changes reconcile: the reconciler's own status writes (and the receiver's lastWebhookAt)
// must not trigger another read of Dodo.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Accounts == nil {
		return errors.New("account controller: Accounts is required")
	}
	r.Options = r.Options.withDefaults()
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	opts := controller.Options{
		MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles,
		RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, 5*time.Minute),
	}
	err := ctrl.NewControllerManagedBy(mgr).For(&billingv1alpha1.DodoAccount{}, builderPredicates()).
		Named("dodoaccount").WithOptions(opts).
		Complete(reconcile.Func(func(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
			return r.ReconcileAccount(ctx, accounts.Key{Kind: billingv1alpha1.AccountKindNamespaced,
				Namespace: req.Namespace, Name: req.Name})
		}))
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).For(&billingv1alpha1.ClusterDodoAccount{}, builderPredicates()).
		Named("clusterdodoaccount").WithOptions(opts).
		Complete(reconcile.Func(func(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
			return r.ReconcileAccount(ctx, accounts.Key{Kind: billingv1alpha1.AccountKindCluster, Name: req.Name})
		}))
}

func (r *Reconciler) clock() clock.PassiveClock {
	if r.Clock == nil {
		return clock.RealClock{}
	}
	return r.Clock
}

// uncached reads past the cache: Secrets (no list or watch allowed) and the stored copy
// of an account after a write conflict.
func (r *Reconciler) uncached() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}

func (r *Reconciler) event(obj client.Object, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(obj, nil, eventType, reason, action, note, args...)
	}
}
