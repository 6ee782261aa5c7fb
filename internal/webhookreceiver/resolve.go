package webhookreceiver

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
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
	// owner is the account of a charge whose status did not record one yet, read from its
	// Subscription's spec.accountRef (nil otherwise).
	owner *accounts.Key
}

// subscriptionTargets finds the account's Subscriptions an event about subscriptionID
// applies to: those the cache's index names under the account, and the one the
// subscription stamp in metadata names (read fresh, so an ID not recorded yet, or not yet
// in the cache, loses nothing). refused holds outcomeMissing when nothing was found and the
// stamped object does not exist (yet), and outcomeOtherAccount when the stamp names another
// account's object.
func (r *Receiver) subscriptionTargets(ctx context.Context, account accounts.Key, subscriptionID string, metadata dodo.Metadata) (
	targets []target, refused []outcome, err error) {
	if subscriptionID != "" {
		var list billingv1alpha1.SubscriptionList
		if err := r.cache.List(ctx, &list, client.MatchingFields{IndexSubscriptionID: indexValue(account, subscriptionID)}); err != nil {
			return nil, nil, fmt.Errorf("listing Subscriptions by subscription ID: %w", err)
		}
		for i := range list.Items {
			targets = append(targets, target{key: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	identity, ok := stamp.SubscriptionIdentityOf(metadata)
	if !ok || hasTarget(targets, types.NamespacedName{Namespace: identity.Namespace, Name: identity.Name}) {
		return targets, nil, nil
	}
	sub := &billingv1alpha1.Subscription{}
	lookup, err := r.readStamped(ctx, identity, sub)
	switch {
	case err != nil:
		return nil, nil, err
	case lookup == stampFound && sub.UID == identity.UID && subscriptionAccount(sub) != account:
		refused = append(refused, outcomeOtherAccount)
	case lookup == stampFound && sub.UID == identity.UID:
		targets = append(targets, target{key: client.ObjectKeyFromObject(sub), uid: identity.UID})
	case lookup == stampMissing && len(targets) == 0:
		refused = append(refused, outcomeMissing)
	}
	// A different UID means the stamped object was replaced by another of the same name.
	return targets, refused, nil
}

// chargeTargets finds the account's OnDemandCharges a payment applies to: the one its
// charge stamp names (by UID, or by charge key after a re-creation), and those whose
// attempts record its payment ID (the cache's index; dues payments carry no charge stamp).
// refused is as for subscriptionTargets.
func (r *Receiver) chargeTargets(ctx context.Context, account accounts.Key, payment *dodo.Payment) (
	targets []target, refused []outcome, err error) {
	missing := false
	if s, ok := chargestate.StampOf(payment.Metadata); ok {
		charge := &billingv1alpha1.OnDemandCharge{}
		lookup, err := r.readStamped(ctx, s.Identity, charge)
		t := target{key: client.ObjectKeyFromObject(charge), uid: charge.UID}
		switch {
		case err != nil:
			return nil, nil, err
		case lookup == stampMissing:
			missing = true
		case lookup == stampInvalid:
			// a name the API server refuses is not one of ours
		case charge.UID == s.Identity.UID:
			t.attemptNumber = s.AttemptNumber
			targets, refused, err = r.addCharge(ctx, account, charge, t, targets, refused)
		case chargestate.KeyOf(charge) == s.ChargeKey:
			targets, refused, err = r.addCharge(ctx, account, charge, t, targets, refused)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	for _, owner := range []string{account.String(), unresolvedAccount} {
		var list billingv1alpha1.OnDemandChargeList
		if err := r.cache.List(ctx, &list, client.MatchingFields{IndexAttemptPaymentID: owner + "|" + payment.PaymentID}); err != nil {
			return nil, nil, fmt.Errorf("listing OnDemandCharges by payment ID: %w", err)
		}
		for i := range list.Items {
			if key := client.ObjectKeyFromObject(&list.Items[i]); !hasTarget(targets, key) {
				if targets, refused, err = r.addCharge(ctx, account, &list.Items[i], target{key: key}, targets, refused); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if missing && len(targets) == 0 {
		refused = append(refused, outcomeMissing)
	}
	return targets, refused, nil
}

// addCharge adds charge to targets when it is the account's, to refused when it is another
// account's. A charge whose status records no account yet goes by its Subscription's.
func (r *Receiver) addCharge(ctx context.Context, account accounts.Key, charge *billingv1alpha1.OnDemandCharge, t target,
	targets []target, refused []outcome) ([]target, []outcome, error) {
	owner, ok := chargeAccount(charge)
	if !ok {
		sub := &billingv1alpha1.Subscription{}
		err := r.client.Get(ctx, types.NamespacedName{Namespace: charge.Namespace, Name: charge.Spec.SubscriptionRef.Name}, sub)
		switch {
		case apierrors.IsNotFound(err):
			return targets, append(refused, outcomeUnknownObject), nil // no account to tell
		case err != nil:
			return nil, nil, fmt.Errorf("reading the Subscription of charge %s: %w", t.key, err)
		}
		owner = subscriptionAccount(sub)
		t.owner = &owner
	}
	if owner != account {
		return targets, append(refused, outcomeOtherAccount), nil
	}
	return append(targets, t), refused, nil
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
