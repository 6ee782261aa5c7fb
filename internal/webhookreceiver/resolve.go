package webhookreceiver

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/chargestate"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// target is one object an event applies to.
type target struct {
	key types.NamespacedName
	// uid, when set, must be the object's UID on the fresh read. It is set when the object
	// was found through a stamp, and only then is a missing object worth a retry.
	uid types.UID
	// attemptNumber is the stamped attempt of a charge found by its own stamp (0 otherwise).
	attemptNumber int32
}

// subscriptionTargets finds the Subscriptions an event about subscriptionID applies to:
// those the cache's index on status.subscriptionID names, and the one the subscription
// stamp in metadata names (read fresh, so an ID not recorded yet, or not yet in the cache,
// loses nothing). missing is true when nothing was found and the stamped object does not
// exist (yet).
func (r *Receiver) subscriptionTargets(ctx context.Context, subscriptionID string, metadata dodo.Metadata) (
	targets []target, missing bool, err error) {
	if subscriptionID != "" {
		var list billingv1alpha1.SubscriptionList
		if err := r.cache.List(ctx, &list, client.MatchingFields{IndexSubscriptionID: subscriptionID}); err != nil {
			return nil, false, fmt.Errorf("listing Subscriptions by subscription ID: %w", err)
		}
		for i := range list.Items {
			targets = append(targets, target{key: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	identity, ok := stamp.SubscriptionIdentityOf(metadata)
	if !ok || hasTarget(targets, types.NamespacedName{Namespace: identity.Namespace, Name: identity.Name}) {
		return targets, false, nil
	}
	sub := &billingv1alpha1.Subscription{}
	lookup, err := r.readStamped(ctx, identity, sub)
	switch {
	case err != nil:
		return nil, false, err
	case lookup == stampFound && sub.UID == identity.UID:
		targets = append(targets, target{key: client.ObjectKeyFromObject(sub), uid: identity.UID})
	}
	// A different UID means the stamped object was replaced by another of the same name.
	return targets, lookup == stampMissing && len(targets) == 0, nil
}

// chargeTargets finds the OnDemandCharges a payment applies to: the one its charge stamp
// names (by UID, or by charge key after a re-creation), and those whose attempts record
// its payment ID (the cache's index; dues payments carry no charge stamp).
func (r *Receiver) chargeTargets(ctx context.Context, payment *dodo.Payment) (targets []target, missing bool, err error) {
	if s, ok := chargestate.StampOf(payment.Metadata); ok {
		charge := &billingv1alpha1.OnDemandCharge{}
		lookup, err := r.readStamped(ctx, s.Identity, charge)
		switch {
		case err != nil:
			return nil, false, err
		case lookup == stampMissing:
			missing = true
		case lookup == stampInvalid:
			// a name the API server refuses is not one of ours
		case charge.UID == s.Identity.UID:
			targets = append(targets, target{key: client.ObjectKeyFromObject(charge), uid: charge.UID, attemptNumber: s.AttemptNumber})
		case chargestate.KeyOf(charge) == s.ChargeKey:
			targets = append(targets, target{key: client.ObjectKeyFromObject(charge), uid: charge.UID})
		}
	}
	var list billingv1alpha1.OnDemandChargeList
	if err := r.cache.List(ctx, &list, client.MatchingFields{IndexAttemptPaymentID: payment.PaymentID}); err != nil {
		return nil, false, fmt.Errorf("listing OnDemandCharges by payment ID: %w", err)
	}
	for i := range list.Items {
		key := client.ObjectKeyFromObject(&list.Items[i])
		if !hasTarget(targets, key) {
			targets = append(targets, target{key: key})
		}
	}
	return targets, missing && len(targets) == 0, nil
}

// stampLookup is the result of reading the object a stamp names.
type stampLookup int

const (
	// stampFound: an object of that name exists (its UID is still to be checked).
	stampFound stampLookup = iota
	// stampMissing: no such object; it may be created yet, so worth a retry.
	stampMissing
	// stampInvalid: the API server refuses the name (the stamp of an adopted subscription
	// need not be ours); never worth a retry.
	stampInvalid
)

// readStamped reads the object a stamp names, fresh from the API server.
func (r *Receiver) readStamped(ctx context.Context, identity stamp.Identity, obj client.Object) (stampLookup, error) {
	key := types.NamespacedName{Namespace: identity.Namespace, Name: identity.Name}
	err := r.client.Get(ctx, key, obj)
	switch {
	case err == nil:
		return stampFound, nil
	case apierrors.IsNotFound(err):
		return stampMissing, nil
	case apierrors.IsBadRequest(err) || apierrors.IsInvalid(err):
		return stampInvalid, nil
	}
	return stampInvalid, fmt.Errorf("reading stamped object %s: %w", key, err)
}

func hasTarget(targets []target, key types.NamespacedName) bool {
	for _, t := range targets {
		if t.key == key {
			return true
		}
	}
	return false
}
