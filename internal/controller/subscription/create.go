package subscription

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/controller/unanswered"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// errCreateOutcomeUnknown marks a create whose answer was lost; it is reported on Synced
// while the operator waits to look the subscription up.
var errCreateOutcomeUnknown = errors.New(
	"the create call's outcome is unknown; looking the subscription up by its metadata before any new attempt")

// ensureExists returns the Dodo subscription ID, creating or adopting the subscription when
// there is none yet. An empty ID means: not yet, come back as the result says.
func (r *Reconciler) ensureExists(ctx context.Context, s *scope) (string, ctrl.Result, error) {
	st := &s.sub.Status
	adopt := s.sub.Spec.Adopt
	switch {
	case adopt != nil && st.SubscriptionID != "" && adopt.SubscriptionID != st.SubscriptionID:
		s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonAdoptionRefused,
			Message: fmt.Sprintf("spec.adopt names %s, but this object already manages %s; "+
				"a Subscription manages one Dodo subscription", adopt.SubscriptionID, st.SubscriptionID)}
		return "", ctrl.Result{}, nil
	case st.SubscriptionID != "":
		return st.SubscriptionID, ctrl.Result{}, nil
	case adopt != nil:
		return r.adopt(ctx, s, adopt.SubscriptionID)
	case st.CreatePendingSince != nil:
		// The lookup that resolves an unknown create outcome is money-critical.
		return r.resolvePendingCreate(dodo.WithPriority(ctx, dodo.PriorityCritical), s)
	}
	return r.create(ctx, s)
}

// create records the pending marker with a conflicting write (a stale cached copy cannot
// pass), then calls Dodo once. It never retries the call itself.
func (r *Reconciler) create(ctx context.Context, s *scope) (string, ctrl.Result, error) {
	st := &s.sub.Status
	now := metav1.NewTime(s.now)
	st.CreatePendingSince = &now
	if err := r.Status().Update(ctx, s.sub); err != nil {
		return "", ctrl.Result{}, err
	}
	s.before = s.sub.DeepCopy()

	resp, err := s.api.CreateSubscription(ctx, createRequest(s.sub))
	switch {
	case err == nil:
		recordCreated(s, resp)
		if resp.PaymentLink != nil {
			r.event(s.sub, corev1.EventTypeNormal, billingv1alpha1.ReasonAwaitingPayment, "Create",
				"Created Dodo subscription %s; waiting for the customer to complete the payment link", resp.SubscriptionID)
		} else {
			r.event(s.sub, corev1.EventTypeNormal, "Created", "Create", "Created Dodo subscription %s", resp.SubscriptionID)
		}
		return resp.SubscriptionID, ctrl.Result{}, nil
	case dodo.IsOutcomeUnknown(err):
		r.unanswered.Ended(s.sub.UID, r.Clock.Now())
		r.event(s.sub, corev1.EventTypeWarning, "CreateOutcomeUnknown", "Create",
			"The create call's answer was lost (%v); looking it up before any new attempt", err)
		s.out.err = errCreateOutcomeUnknown
		return "", ctrl.Result{RequeueAfter: r.Options.CreateSettle}, nil
	}
	// Anything else surely created nothing: clear the marker.
	st.CreatePendingSince = nil
	if dodo.IsValidation(err) {
		s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonInvalidSpec,
			Message: "Dodo refused to create the subscription: " + err.Error() +
				". Fix the spec; nothing was created."}
		r.event(s.sub, corev1.EventTypeWarning, billingv1alpha1.ReasonInvalidSpec, "Create", "Dodo refused the create: %v", err)
		return "", ctrl.Result{}, nil
	}
	return "", ctrl.Result{}, fmt.Errorf("creating the subscription: %w", err)
}

// recordCreated puts the new ID (and payment link) in the status this reconcile writes at
// its end, together with the first read's mirror and conditions: one status write instead
// of two (issue 17). Until that write lands the ID lives only in memory; a crash or a write
// that fails leaves the marker, and the next reconcile finds the subscription by its
// metadata and recovers the payment link from its first payment (docs/money-safety.md), as
// after a lost answer. A conflict with the receiver is laid over the stored copy, never
// dropped (rebaseOnConflict keeps a created ID whatever else changed).
func recordCreated(s *scope, resp *dodo.CreateSubscriptionResponse) {
	st := &s.sub.Status
	st.SubscriptionID, st.CreatePendingSince, st.CustomerID = resp.SubscriptionID, nil, resp.Customer.CustomerID
	if resp.PaymentLink != nil {
		st.PaymentLink, st.PaymentLinkExpiresAt = *resp.PaymentLink, timeOrNil(resp.ExpiresOn)
	}
	s.created = true
}

// resolvePendingCreate looks for a subscription a lost create may have made, by the
// metadata stamped on it, before allowing a new create (docs/money-safety.md).
func (r *Reconciler) resolvePendingCreate(ctx context.Context, s *scope) (string, ctrl.Result, error) {
	st := &s.sub.Status
	id, wait, err := r.lookupPendingCreate(ctx, s)
	switch {
	case err != nil || s.out.stalled != nil:
		return "", ctrl.Result{}, err
	case wait > 0:
		s.out.err = errCreateOutcomeUnknown
		return "", ctrl.Result{RequeueAfter: wait}, nil
	case id != "":
		st.SubscriptionID, st.CreatePendingSince = id, nil
		r.unanswered.Forget(s.sub.UID)
		r.event(s.sub, corev1.EventTypeNormal, "Found", "Create",
			"Found Dodo subscription %s created by an earlier attempt; not creating again", id)
		return id, ctrl.Result{}, nil
	}
	st.CreatePendingSince = nil
	r.unanswered.Forget(s.sub.UID)
	return r.create(ctx, s)
}

// lookupPendingCreate decides what an unanswered create did (package unanswered): it
// looks only once CreateSettle has passed since the call can last have been sent, and
// believes an empty lookup only CreateAbsentAfter after that moment; until then it asks
// to come back (wait > 0). More than one match, or a lookup that could not read every
// page, stalls for a person.
func (r *Reconciler) lookupPendingCreate(ctx context.Context, s *scope) (string, time.Duration, error) {
	sent := r.unanswered.SentBy(s.sub.UID, s.sub.Status.CreatePendingSince.Time)
	windows := unanswered.Windows{Settle: r.Options.CreateSettle, AbsentAfter: r.Options.CreateAbsentAfter}
	if step, wait := windows.Next(sent, s.now, false); step == unanswered.Wait {
		return "", wait, nil
	}
	matches, older, err := r.findCreated(ctx, s)
	switch {
	case errors.Is(err, dodo.ErrTooManyPages) || len(matches) > 1 || older:
		s.out.stalled = r.createUnknownStall(s, matches, err)
		return "", 0, nil
	case err != nil:
		return "", 0, fmt.Errorf("looking up a possibly created subscription: %w", err)
	case len(matches) == 1:
		return matches[0], 0, nil
	}
	_, wait := windows.Next(sent, s.now, true)
	return "", wait, nil
}

// findCreated lists subscriptions created since the marker (widened for clock skew), by
// customer when known, and returns those stamped with this object's UID.
func (r *Reconciler) findCreated(ctx context.Context, s *scope) (ids []string, older bool, err error) {
	since := s.sub.Status.CreatePendingSince.Add(-r.Options.CreateLookback)
	params := dodo.ListSubscriptionsParams{CreatedAtGTE: &since, PageSize: 100, CustomerID: s.sub.Spec.Customer.ID}
	items, err := s.api.ListAllSubscriptions(ctx, params)
	if err != nil {
		return nil, false, err
	}
	earliest := s.sub.Status.CreatePendingSince.Add(-clockSkew)
	for _, item := range items {
		if id, ok := stamp.IdentityOf(item.Metadata); ok && id.UID == s.sub.UID {
			ids = append(ids, item.SubscriptionID)
			if item.CreatedAt.Before(earliest) {
				older = true
			}
		}
	}
	return ids, older, nil
}

// clockSkew is how far Dodo's created_at may be behind the operator's clock. A
// subscription stamped with the object's UID but created earlier than the pending
// create's marker (less this) cannot be that create's result: the lookup stalls rather
// than take it.
const clockSkew = time.Minute

func (r *Reconciler) createUnknownStall(s *scope, matches []string, err error) *conditions.Why {
	what := fmt.Sprintf("Dodo subscriptions %v carry metadata k8s_uid=%s (more than one, or one created before the "+
		"create call, which cannot be its result)", matches, s.sub.UID)
	if err != nil {
		what = "the lookup could not read every subscription created since " +
			s.sub.Status.CreatePendingSince.UTC().Format("2006-01-02T15:04:05Z") + " (" + err.Error() + ")"
	}
	msg := "A create call's outcome is unknown and " + what + ". Check Dodo's dashboard for subscriptions with metadata " +
		"k8s_namespace=" + s.sub.Namespace + ", k8s_name=" + s.sub.Name + ", k8s_uid=" + string(s.sub.UID) +
		". Then set spec.adopt.subscriptionID to the one to keep (cancel any extra in Dodo). Nothing will be created meanwhile."
	r.event(s.sub, corev1.EventTypeWarning, billingv1alpha1.ReasonCreateOutcomeUnknown, "Create", "%s", msg)
	return &conditions.Why{Reason: billingv1alpha1.ReasonCreateOutcomeUnknown, Message: msg}
}
