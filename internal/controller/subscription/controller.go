// Package subscription reconciles Subscription objects against the Dodo Payments API:
// crash-safe creation, observation, plan and field changes, payment-method changes, and the
// deletion policy.
package subscription

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/bulkobserve"
	"github.com/dodo-operator/dodo-operator/internal/controller/statuspatch"
	"github.com/dodo-operator/dodo-operator/internal/controller/unanswered"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// Options tune the reconciler; zero values take the defaults.
type Options struct {
	// ResyncInterval is how often Dodo is read when nothing else asks (default 1h).
	ResyncInterval time.Duration
	// CreateSettle is how long after an unanswered create the operator waits before looking
	// the subscription up (default 30s), so a committed create is visible in Dodo's lists.
	CreateSettle time.Duration
	// CreateAbsentAfter is how long after an unanswered create the lookup must keep finding
	// nothing before the operator concludes that nothing was created and creates again
	// (default 5m): Dodo's lists can lag behind its writes, and no Dodo call takes an
	// idempotency key.
	CreateAbsentAfter time.Duration
	// CreateLookback widens the created_at window of that lookup for clock skew (default 24h).
	CreateLookback time.Duration
	// MaxConcurrentReconciles bounds parallel reconciles (default 4).
	MaxConcurrentReconciles int
	// PlanChangeConfirmWithin is how long after a change-plan a read that shows it neither
	// applied nor scheduled makes Ready say PlanChangeNotApplied (default 1h).
	PlanChangeConfirmWithin time.Duration
}

func (o Options) withDefaults() Options {
	if o.ResyncInterval <= 0 {
		o.ResyncInterval = time.Hour
	}
	windows := unanswered.Windows{Settle: o.CreateSettle, AbsentAfter: o.CreateAbsentAfter}.WithDefaults()
	o.CreateSettle, o.CreateAbsentAfter = windows.Settle, windows.AbsentAfter
	if o.CreateLookback <= 0 {
		o.CreateLookback = 24 * time.Hour
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 4
	}
	if o.PlanChangeConfirmWithin <= 0 {
		o.PlanChangeConfirmWithin = time.Hour
	}
	return o
}

// Reconciler reconciles Subscriptions.
type Reconciler struct {
	client.Client
	// APIReader reads past the cache (for writes that must start from the stored copy);
	// the client itself when nil.
	APIReader client.Reader
	// API serves Subscriptions without accountRef.
	API PaymentsAPI
	// Accounts serves the others, one client per account (nil: they wait).
	Accounts *accounts.Clients
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	Options  Options
	Metrics  *Metrics
	// Bulk serves resyncs from a shared scan of every subscription (nil: each resync
	// reads its subscription on its own).
	Bulk *bulkobserve.Observer

	// observed remembers observations that wrote nothing (bulk.go).
	observed observations
	// unanswered bounds when an unanswered create can have been sent.
	unanswered unanswered.Tracker
}

// scope is the state of one reconcile.
type scope struct {
	sub        *billingv1alpha1.Subscription
	before     *billingv1alpha1.Subscription
	now        time.Time
	api        *countingAPI
	out        findings
	skipStatus bool
	// leaveAccount gives back the account's slot (enterAccount); entered says one is held.
	leaveAccount func()
	entered      bool
	// providerAtStart is Dodo's status as stored when the reconcile began: a change from it
	// that this reconcile stores is told with an Event.
	providerAtStart string
	// created: this reconcile created the subscription; its ID is in s.sub only.
	created bool
}

// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=subscriptions,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=subscriptions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=subscriptions/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=dodoaccounts;clusterdodoaccounts,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Reconcile brings one Subscription and its Dodo subscription together.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	sub := &billingv1alpha1.Subscription{}
	if err := r.Get(ctx, req.NamespacedName, sub); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.forget(req.NamespacedName)
			r.observed.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.unanswered.Start(r.Clock.Now())
	s := &scope{sub: sub, before: sub.DeepCopy(), now: r.Clock.Now(), api: &countingAPI{api: r.API},
		providerAtStart: sub.Status.ProviderStatus, leaveAccount: func() {}}
	defer func() {
		result, retErr = r.finish(ctx, s, result, retErr)
		s.leaveAccount()
	}()

	switch {
	case isPaused(sub):
		s.out.paused = true
		if !wasPaused(s.before) {
			r.event(sub, corev1.EventTypeNormal, "Paused", "Pause", "Reconciliation paused by annotation; no calls to Dodo")
		}
		return ctrl.Result{}, nil
	case r.waitForAccount(ctx, s):
		return ctrl.Result{RequeueAfter: accountRecheck}, nil
	case !sub.DeletionTimestamp.IsZero():
		return r.reconcileDelete(ctx, s)
	case controllerutil.AddFinalizer(sub, Finalizer):
		// Stored before anything is created (a deletion must find it), then on to the
		// create in this same reconcile: requeueing would send a new object to the back
		// of the queue, behind the whole resync backlog.
		if err := r.patchFinalizers(ctx, s); err != nil {
			s.skipStatus = true
			return ctrl.Result{}, err
		}
		s.before = sub.DeepCopy()
	}
	return r.reconcileNormal(ctx, s)
}

// finish writes the status once, with optimistic concurrency so that a write based on a
// stale copy (the webhook receiver may have written since) fails; it is then laid over the
// stored copy and written again, rather than dropped for a new reconcile and a new read.
func (r *Reconciler) finish(ctx context.Context, s *scope, result ctrl.Result, err error) (ctrl.Result, error) {
	if s.skipStatus {
		r.Metrics.observe(s, err)
		return statuspatch.QuietConflict(ctx, result, err)
	}
	if s.out.err == nil {
		s.out.err = err
	}
	setConditions(s.sub, s.out)
	// After setConditions, so the ready label is this reconcile's, not the previous one's.
	r.Metrics.observe(s, err)
	if e, ok := providerstate.TransitionEvent(s.providerAtStart, s.sub.Status.ProviderStatus,
		s.sub.Status.LastPayment); ok {
		r.event(s.sub, e.Type, e.Reason, "Observe", "%s", e.Note)
	}
	r.tellEnteredReasons(s)
	if !s.out.paused {
		if s.out.err == nil && s.out.accountWait == nil {
			// A failed reconcile has not brought Dodo to this generation: the retry reads
			// again and applies the drift, rather than waiting for the next resync.
			s.sub.Status.ObservedGeneration = s.sub.Generation
		}
		s.sub.Status.LastHandledReconcileAt = s.sub.Annotations[billingv1alpha1.AnnotationReconcileRequestedAt]
	}
	return statuspatch.PatchRebasing(ctx, r.Client, s.before, s.sub, s.before.Status, s.sub.Status, result, err,
		r.rebaseOnConflict(s))
}

// tellEnteredReasons emits a Warning when a condition enters a reason a person must act on.
func (r *Reconciler) tellEnteredReasons(s *scope) {
	before, after := s.before.Status.Conditions, s.sub.Status.Conditions
	if statuspatch.EnteredReason(before, after, billingv1alpha1.ConditionSynced, billingv1alpha1.ReasonCredentialsInvalid) {
		r.event(s.sub, corev1.EventTypeWarning, billingv1alpha1.ReasonCredentialsInvalid, "Reconcile", "%s",
			credentialsMessageOf(s.out.account))
	}
	if statuspatch.EnteredReason(before, after, billingv1alpha1.ConditionReady, billingv1alpha1.ReasonPlanChangeNotApplied) {
		r.event(s.sub, corev1.EventTypeWarning, billingv1alpha1.ReasonPlanChangeNotApplied, "Observe", "%s",
			meta.FindStatusCondition(after, billingv1alpha1.ConditionReady).Message)
	}
	if statuspatch.EnteredReason(before, after, billingv1alpha1.ConditionReady, billingv1alpha1.ReasonPaymentLinkExpired) {
		r.event(s.sub, corev1.EventTypeWarning, billingv1alpha1.ReasonPaymentLinkExpired, "Observe", "%s",
			meta.FindStatusCondition(after, billingv1alpha1.ConditionReady).Message)
	}
}

func wasPaused(sub *billingv1alpha1.Subscription) bool {
	c := meta.FindStatusCondition(sub.Status.Conditions, billingv1alpha1.ConditionSynced)
	return c != nil && c.Reason == billingv1alpha1.ReasonPaused
}

func (r *Reconciler) event(sub *billingv1alpha1.Subscription, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(sub, nil, eventType, reason, action, note, args...)
	}
}

// SetupWithManager registers the controller. Status changes trigger a reconcile too: the
// webhook receiver's status write is how it asks the controller to look again.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Options = r.Options.withDefaults()
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	r.Metrics.track(&r.observed)
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &billingv1alpha1.Subscription{}, accountIndex,
		indexAccount); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&billingv1alpha1.Subscription{}).
		Watches(&billingv1alpha1.DodoAccount{}, handler.EnqueueRequestsFromMapFunc(
			r.subscriptionsOfAccount(billingv1alpha1.AccountKindNamespaced)), builder.WithPredicates(accountUsabilityChanged)).
		Watches(&billingv1alpha1.ClusterDodoAccount{}, handler.EnqueueRequestsFromMapFunc(
			r.subscriptionsOfAccount(billingv1alpha1.AccountKindCluster)), builder.WithPredicates(accountUsabilityChanged)).
		Named(controllerName).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles,
			// Explicit although the default: resyncs requeue at low priority (resyncAfter),
			// so new objects and changes never wait behind a resync backlog.
			UsePriorityQueue: ptr.To(true),
			// A remote, rate-limited API: back off from 1s up to 5 minutes.
			RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, 5*time.Minute),
		}).
		Complete(r)
}

func (r *Reconciler) reader() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}

// patchFinalizers writes only the finalizer change, never the spec as Go re-encodes it:
// the controller never writes spec.
func (r *Reconciler) patchFinalizers(ctx context.Context, s *scope) error {
	return r.Patch(ctx, s.sub, client.MergeFromWithOptions(s.before, client.MergeFromWithOptimisticLock{}))
}
