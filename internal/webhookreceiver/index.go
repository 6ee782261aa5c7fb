package webhookreceiver

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// Field indexes the receiver looks objects up by (register them with SetupIndexes). Their
// values are indexValue(account, ID): Dodo IDs are unique within one Dodo business only, so
// a lookup for one account's delivery never even lists another account's objects.
const (
	// IndexSubscriptionID indexes Subscriptions by spec.accountRef and status.subscriptionID.
	IndexSubscriptionID = "status.subscriptionID"
	// IndexAttemptPaymentID indexes OnDemandCharges by status.accountRef and the payment ID
	// of every attempt.
	IndexAttemptPaymentID = "status.attempts.paymentID"
)

// unresolvedAccount is the index's account for a charge whose status does not record its
// account yet (no subscriptionID): its Subscription's accountRef decides, read per lookup.
const unresolvedAccount = "unresolved"

// indexValue is the index value of an ID in an account. Account names cannot hold "|".
func indexValue(account accounts.Key, id string) string {
	return account.String() + "|" + id
}

// SetupIndexes registers the receiver's field indexes on a cache (a manager's
// GetFieldIndexer()). It also makes the cache watch both kinds.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &billingv1alpha1.Subscription{}, IndexSubscriptionID, subscriptionIDIndex); err != nil {
		return fmt.Errorf("indexing Subscriptions by %s: %w", IndexSubscriptionID, err)
	}
	if err := indexer.IndexField(ctx, &billingv1alpha1.OnDemandCharge{}, IndexAttemptPaymentID, attemptPaymentIDIndex); err != nil {
		return fmt.Errorf("indexing OnDemandCharges by %s: %w", IndexAttemptPaymentID, err)
	}
	return nil
}

func subscriptionIDIndex(obj client.Object) []string {
	sub, ok := obj.(*billingv1alpha1.Subscription)
	if !ok || sub.Status.SubscriptionID == "" {
		return nil
	}
	return []string{indexValue(subscriptionAccount(sub), sub.Status.SubscriptionID)}
}

func attemptPaymentIDIndex(obj client.Object) []string {
	charge, ok := obj.(*billingv1alpha1.OnDemandCharge)
	if !ok {
		return nil
	}
	account := accounts.KeyOf(charge.Namespace, charge.Status.AccountRef).String()
	if charge.Status.SubscriptionID == "" {
		account = unresolvedAccount
	}
	var ids []string
	for _, a := range charge.Status.Attempts {
		if a.PaymentID != "" {
			ids = append(ids, account+"|"+a.PaymentID)
		}
	}
	return ids
}

// subscriptionAccount is the account a Subscription lives in (spec.accountRef cannot change).
func subscriptionAccount(sub *billingv1alpha1.Subscription) accounts.Key {
	return accounts.KeyOf(sub.Namespace, sub.Spec.AccountRef)
}

// chargeAccount is the account a charge's attempts were made in, when its status records
// it (with subscriptionID); ok is false before that.
func chargeAccount(charge *billingv1alpha1.OnDemandCharge) (key accounts.Key, ok bool) {
	if charge.Status.SubscriptionID == "" {
		return accounts.Key{}, false
	}
	return accounts.KeyOf(charge.Namespace, charge.Status.AccountRef), true
}
