package webhookreceiver

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Field indexes the receiver looks objects up by (register them with SetupIndexes).
const (
	// IndexSubscriptionID indexes Subscriptions by status.subscriptionID.
	IndexSubscriptionID = "status.subscriptionID"
	// IndexAttemptPaymentID indexes OnDemandCharges by the payment ID of every attempt.
	IndexAttemptPaymentID = "status.attempts.paymentID"
)

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
	return []string{sub.Status.SubscriptionID}
}

func attemptPaymentIDIndex(obj client.Object) []string {
	charge, ok := obj.(*billingv1alpha1.OnDemandCharge)
	if !ok {
		return nil
	}
	var ids []string
	for _, a := range charge.Status.Attempts {
		if a.PaymentID != "" {
			ids = append(ids, a.PaymentID)
		}
	}
	return ids
}
