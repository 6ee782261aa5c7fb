package ondemandcharge

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
	"github.com/dodo-operator/dodo-operator/internal/controller/statuspatch"
	"github.com/dodo-operator/dodo-operator/internal/controller/unanswered"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Finalizer keeps a charge with an attempt in flight until its outcome is known.
const Finalizer = "billing.dodo-operator.io/charge-finalizer"

// subscriptionRefIndex indexes charges by the Subscription they charge.
const subscriptionRefIndex = "spec.subscriptionRef.name"

// Options tune the reconciler; zero values take the defaults.
type Options struct {
	// OutcomeTimeout is how long to wait for the payment's webhook before reading the
	// payment instead (default 10m).
	OutcomeTimeout time.Duration
	// Settle is how long after an unanswered call to wait before looking the payment up
	// (default 30s).
	Settle time.Duration
	// AbsentAfter is how long after an unanswered call the lookup must keep finding no
	// payment before the operator concludes none was made and may charge again (default
	// 5m): Dodo's lists lag behind its writes, and no Dodo call takes an idempotency key.
	AbsentAfter time.Duration
	// SubscriptionWait bounds how long a charge waits for its Subscription to exist before
	// it ends Failed (default 10m).
	SubscriptionWait time.Duration
	// DeletionWait bounds how long deletion waits for an in-flight attempt (default 1h).
	DeletionWait time.Duration
	// MaxInFlightPerCustomer and MaxInFlight cap concurrent attempts (defaults 1 and 10).
	MaxInFlightPerCustomer int
	MaxInFlight            int
	// MaxConcurrentReconciles bounds parallel reconciles (default 4).
	MaxConcurrentReconciles int
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.OutcomeTimeout, 10*time.Minute)
	windows := unanswered.Windows{Settle: o.Settle, AbsentAfter: o.AbsentAfter}.WithDefaults()
	o.Settle, o.AbsentAfter = windows.Settle, windows.AbsentAfter
	def(&o.DeletionWait, time.Hour)
	def(&o.SubscriptionWait, 10*time.Minute)
	if o.MaxInFlightPerCustomer <= 0 {
		o.MaxInFlightPerCustomer = 1
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 10
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 4
	}
	return o
}

// Reconciler reconciles OnDemandCharges.
type Reconciler struct {
	client.Client
	// APIReader reads past the cache (for writes that must start from the stored copy);
	// the client itself when nil.
	APIReader client.Reader
	// API serves charges whose Subscription has no accountRef.
	API PaymentsAPI
	// Accounts serves the others, one client per account (nil: such charges wait).
	Accounts *accounts.Clients
	Recorder events.EventRecorder
	// Metrics, when set, records phases, attempts and declines.
	Metrics  *Metrics
	Clock    clock.PassiveClock
	Options  Options
	capacity *capacity
	// unanswered bounds when an unanswered charge can have been sent.
	unanswered unanswered.Tracker
	// refusedUntil holds, by charge UID, when Dodo last refused to take a charge for a
	// passing reason (a payment open, the subscription not active): no new attempt before.
	refusedUntil sync.Map
	// deletedKeys holds, by namespace/charge key, when a charge with attempts was deleted:
	// an object of the same key created again (Argo CD's Replace) looks for its earlier
	// payments only once Dodo's lists can show them (AbsentAfter later).
	deletedKeys sync.Map
}

// scope is the state of one reconcile.
type scope struct {
	charge     *billingv1alpha1.OnDemandCharge
	before     *billingv1alpha1.OnDemandCharge
	now        time.Time
	out        findings
	skipStatus bool
	// api is the payments API of the charge's account (useAccount); leaveAccount gives
	// back the account's slot, accountBusy says the account turned this reconcile away.
	api          PaymentsAPI
	leaveAccount func()
	accountBusy  bool
	// recheck asks to come back after this long while the charge waits.
	recheck time.Duration
}

// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=ondemandcharges,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=ondemandcharges/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=ondemandcharges/finalizers,verbs=update
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=subscriptions,verbs=get;list;watch

// Reconcile moves one charge forward: wait, attempt, learn the outcome, retry by policy.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	charge := &billingv1alpha1.OnDemandCharge{}
	if err := r.Get(ctx, req.NamespacedName, charge); err != nil {
		if apierrors.IsNotFound(err) {
			r.capacityOrInit().release(req.NamespacedName)
			r.Metrics.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.unanswered.Start(r.Clock.Now())
	// Every call a charge makes is a charge or decides one (an outcome, dues evidence): it
	// goes first in the per-key budget, ahead of the subscriptions' background reads.
	ctx = dodo.WithPriority(ctx, dodo.PriorityCritical)
	s := &scope{charge: charge, before: charge.DeepCopy(), now: r.Clock.Now()}
	defer func() {
		result, retErr = r.finish(ctx, s, result, retErr)
		if s.leaveAccount != nil {
			s.leaveAccount()
		}
	}()
	switch {
	case charge.Annotations[billingv1alpha1.AnnotationPaused] == "true":
		s.out.paused = true
		if last := lastAttempt(&charge.Status); last == nil || last.Outcome != billingv1alpha1.AttemptPending {
			r.capacityOrInit().release(req.NamespacedName)
		}
		return ctrl.Result{}, nil
	case !charge.DeletionTimestamp.IsZero():
		return r.reconcileDelete(ctx, s)
	case controllerutil.AddFinalizer(charge, Finalizer):
		s.skipStatus = true
		return ctrl.Result{}, r.patchFinalizers(ctx, s)
	}
	return r.reconcileNormal(ctx, s)
}

// finish writes the status once, with optimistic concurrency: the webhook receiver writes
// attempt outcomes, and a write based on a stale copy must fail rather than undo them.
func (r *Reconciler) finish(ctx context.Context, s *scope, result ctrl.Result, err error) (ctrl.Result, error) {
	if s.skipStatus {
		return statuspatch.QuietConflict(ctx, result, err)
	}
	if s.out.err == nil {
		s.out.err = err
	}
	setConditions(s.charge, s.out)
	r.Metrics.observe(s, err)
	if statuspatch.EnteredReason(s.before.Status.Conditions, s.charge.Status.Conditions, billingv1alpha1.ConditionSynced,
		billingv1alpha1.ReasonCredentialsInvalid) {
		r.event(s.charge, corev1.EventTypeWarning, billingv1alpha1.ReasonCredentialsInvalid, "Reconcile",
			"Dodo refused the operator's API key (HTTP 401/403); nothing was charged")
	}
	s.charge.Status.ObservedGeneration = s.charge.Generation
	s.charge.Status.AttemptCount = int32(len(s.charge.Status.Attempts))
	result, err = statuspatch.Patch(ctx, r.Client, s.before, s.charge, s.before.Status, s.charge.Status, result, err)
	if s.charge.ResourceVersion != s.before.ResourceVersion {
		// This write stored it (a conflict leaves the resourceVersion): tell the outcomes.
		for _, e := range chargestate.AttemptEvents(s.before.Status.Attempts, s.charge.Status.Attempts) {
			r.event(s.charge, e.Type, e.Reason, "Observe", "%s", e.Note)
		}
	}
	return result, err
}

func (r *Reconciler) reader() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}

func (r *Reconciler) event(charge *billingv1alpha1.OnDemandCharge, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(charge, nil, eventType, reason, action, note, args...)
	}
}

func (r *Reconciler) capacityOrInit() *capacity {
	if r.capacity == nil {
		r.capacity = newCapacity(r.Options.MaxInFlightPerCustomer, r.Options.MaxInFlight)
	}
	return r.capacity
}

// SetupWithManager registers the controller. A change of the referenced Subscription
// re-checks waiting charges (a watch, not polling).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Options = r.Options.withDefaults()
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	r.capacityOrInit()
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &billingv1alpha1.OnDemandCharge{}, subscriptionRefIndex,
		func(o client.Object) []string {
			return []string{o.(*billingv1alpha1.OnDemandCharge).Spec.SubscriptionRef.Name}
		})
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&billingv1alpha1.OnDemandCharge{}).
		Watches(&billingv1alpha1.Subscription{}, handler.EnqueueRequestsFromMapFunc(r.chargesOf)).
		Named(controllerName).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles,
			RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, 5*time.Minute),
		}).
		Complete(r)
}

func (r *Reconciler) chargesOf(ctx context.Context, o client.Object) []reconcile.Request {
	list := &billingv1alpha1.OnDemandChargeList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{subscriptionRefIndex: o.GetName()}); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, c := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
	}
	return out
}

// patchFinalizers writes only the finalizer change. A full update would send the spec as
// Go re-encodes it ("72h" becomes "72h0m0s"), which the immutable-spec rule refuses.
func (r *Reconciler) patchFinalizers(ctx context.Context, s *scope) error {
	return r.Patch(ctx, s.charge, client.MergeFromWithOptions(s.before, client.MergeFromWithOptimisticLock{}))
}
