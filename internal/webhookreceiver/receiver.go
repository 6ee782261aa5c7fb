package webhookreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// The receiver reads both kinds and writes only their status.
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=subscriptions;ondemandcharges,verbs=get;list;watch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=subscriptions/status;ondemandcharges/status,verbs=get;update

// Accounts' paths: the accounts from a cache, their webhook Secrets by GET only (never
// listed or watched), and status.lastWebhookAt by a merge patch.
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=dodoaccounts;clusterdodoaccounts,verbs=get;list;watch
// +kubebuilder:rbac:groups=billing.dodo-operator.io,resources=dodoaccounts/status;clusterdodoaccounts/status,verbs=patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// errSecondPayment is logged when a payment's stamp names an attempt that records another
// payment: two payments for one attempt is a money problem for a person to look at.
var errSecondPayment = errors.New("a payment is stamped with an attempt that records another payment")

// Receiver is the webhook endpoint: an http.Handler that verifies Dodo's deliveries and
// applies them to Subscription and OnDemandCharge status. It keeps no state of its own, so
// any number of replicas can serve one endpoint.
type Receiver struct {
	client       client.Client
	cache        client.Reader
	accounts     client.Reader
	secrets      *accountSecrets
	marks        *webhookMarks
	ready        func() bool
	clock        clock.PassiveClock
	verifier     *verifier
	noDefault    bool // NoDefaultAccount
	metrics      *metrics
	log          logr.Logger
	maxBodyBytes int64
	grace        time.Duration
	applyTimeout time.Duration
	recorder     events.EventRecorder
	// Status writes to one object coalesce while one is in flight (coalesce.go).
	subscriptionWrites coalescer[*billingv1alpha1.Subscription]
	chargeWrites       coalescer[*billingv1alpha1.OnDemandCharge]
	// own remembers the receiver's recent writes, whose effect the cache may not show yet.
	own ownWrites
}

// New builds a Receiver and registers its metrics.
func New(opts Options) (*Receiver, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	v := &verifier{tolerance: opts.TimestampTolerance, clock: opts.Clock} // no default account: no secrets
	if !opts.NoDefaultAccount {
		var err error
		if v, err = newVerifier(opts.Secrets, opts.TimestampTolerance, opts.Clock); err != nil {
			return nil, fmt.Errorf("webhook receiver: %w", err)
		}
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Receiver{
		client: opts.Client, cache: opts.Cache, accounts: opts.Accounts,
		secrets: newAccountSecrets(opts.SecretReader, opts.Clock, opts.SecretTTL, opts.Logger),
		marks:   &webhookMarks{at: map[accounts.Key]time.Time{}}, ready: opts.Ready, clock: opts.Clock,
		verifier: v, noDefault: opts.NoDefaultAccount, metrics: m, log: opts.Logger, maxBodyBytes: opts.MaxBodyBytes,
		grace: opts.NotFoundGrace, applyTimeout: opts.ApplyTimeout, recorder: opts.Recorder,
	}, nil
}

// ReadyzCheck fails until the cache holding the field indexes has synced; it fits
// manager.AddReadyzCheck.
func (r *Receiver) ReadyzCheck(_ *http.Request) error {
	if !r.ready() {
		return errors.New("the Subscription and OnDemandCharge cache has not synced yet")
	}
	return nil
}

// apply maps a verified delivery to its objects and writes their status.
func (r *Receiver) apply(ctx context.Context, d delivery) (outcome, error) {
	switch {
	case d.Subscription != nil:
		return r.applySubscriptionDelivery(ctx, d)
	case d.Payment != nil:
		return r.applyPaymentDelivery(ctx, d)
	}
	return outcomeIgnored, nil
}

func (r *Receiver) applySubscriptionDelivery(ctx context.Context, d delivery) (outcome, error) {
	sub := d.Subscription
	targets, results, err := r.subscriptionTargets(ctx, d.account, sub.SubscriptionID, sub.Metadata)
	if err != nil {
		return outcomeError, err
	}
	ref := d.ref()
	for _, t := range targets {
		result, err := r.writeSubscription(ctx, d, t, func(obj *billingv1alpha1.Subscription) outcome {
			return applySubscriptionEvent(&obj.Status, obj.Generation, ref, sub)
		})
		if err != nil {
			return outcomeError, err
		}
		results = append(results, result)
	}
	return combineOutcomes(results, r.withinGrace(d)), nil
}

func (r *Receiver) applyPaymentDelivery(ctx context.Context, d delivery) (outcome, error) {
	payment := d.Payment
	status := paymentStatus(d.Event, payment)
	subscriptionID := ptr.Deref(payment.SubscriptionID, "")
	targets, results, err := r.subscriptionTargets(ctx, d.account, subscriptionID, payment.Metadata)
	if err != nil {
		return outcomeError, err
	}
	summary := paymentSummaryOf(payment, status)
	for _, t := range targets {
		result, err := r.writeSubscription(ctx, d, t, func(obj *billingv1alpha1.Subscription) outcome {
			return applyPaymentToSubscription(&obj.Status, obj.Generation, d.ID, subscriptionID, summary)
		})
		if err != nil {
			return outcomeError, err
		}
		results = append(results, result)
	}
	chargeResults, err := r.applyPaymentToCharges(ctx, d, status)
	if err != nil {
		return outcomeError, err
	}
	return combineOutcomes(append(results, chargeResults...), r.withinGrace(d)), nil
}

func (r *Receiver) applyPaymentToCharges(ctx context.Context, d delivery, status dodo.PaymentStatus) ([]outcome, error) {
	targets, results, err := r.chargeTargets(ctx, d.account, d.Payment)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		result, err := r.writeCharge(ctx, d, t, func(obj *billingv1alpha1.OnDemandCharge) outcome {
			return r.applyToCharge(d, t, obj, status)
		})
		if err != nil {
			return nil, err
		}
		results = append(results, result)
	}
	return results, nil
}

func (r *Receiver) applyToCharge(d delivery, t target, obj *billingv1alpha1.OnDemandCharge, status dodo.PaymentStatus) outcome {
	if seenOnCharge(&obj.Status, d.ID) {
		return outcomeDuplicate
	}
	index, conflict := chargestate.FindAttempt(obj.Status.Attempts, d.Payment.PaymentID, t.attemptNumber)
	switch {
	case conflict:
		r.log.Error(errSecondPayment, "Payment not applied to the charge; check Dodo for a duplicate charge",
			"onDemandCharge", t.key, "attempt", t.attemptNumber, "webhookID", d.ID)
		return outcomeUnknownObject
	case index < 0 && t.attemptNumber > 0:
		return outcomeMissing // the controller records an attempt before calling Dodo
	case index < 0:
		return outcomeUnknownObject
	}
	return applyPaymentToAttempt(&obj.Status, index, d.ID, d.Payment, status, d.eventTime())
}

// withinGrace says whether an object missing for this event may still appear.
func (r *Receiver) withinGrace(d delivery) bool {
	return r.clock.Since(d.eventTime()) < r.grace
}
