package subscription

import (
	"context"
	"maps"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/statuspatch"
)

// mirrorFields are the status fields one read of Dodo (or one webhook event) sets together
// (providerstate.MirrorSubscription); they are merged as a group so that a status never
// mixes two views of the subscription.
var mirrorFields = map[string]bool{
	"ProviderStatus": true, "CustomerID": true, "ProductID": true, "Quantity": true, "Currency": true, "RecurringPreTaxAmount": true,
	"NextBillingDate": true, "PreviousBillingDate": true, "CancelAtNextBillingDate": true,
	"CancelledAt": true, "ExpiresAt": true, "PaymentMethodID": true,
}

// rebaseStatus lays the reconcile's own changes (before -> ours) over fresh, the stored copy
// that another writer (the webhook receiver) changed since before was read. Where both
// changed the same field, or the same mirror group, fresh wins: the result is what
// "our write, then the receiver's" would have stored, an order the two writers already
// allow, so no webhook's effect is lost. Conditions are left to be recomputed from the
// merged fields. It is pure.
func rebaseStatus(before, ours, fresh *billingv1alpha1.SubscriptionStatus) *billingv1alpha1.SubscriptionStatus {
	out := fresh.DeepCopy()
	// ours is copied so that out shares no pointer or slice with the inputs.
	b, o, f, dst := reflect.ValueOf(before).Elem(), reflect.ValueOf(ours.DeepCopy()).Elem(), reflect.ValueOf(fresh).Elem(),
		reflect.ValueOf(out).Elem()
	changed := func(x, y reflect.Value, name string) bool {
		return !equality.Semantic.DeepEqual(x.FieldByName(name).Interface(), y.FieldByName(name).Interface())
	}
	groupChanged := func(x, y reflect.Value) bool {
		for name := range maps.Keys(mirrorFields) {
			if changed(x, y, name) {
				return true
			}
		}
		return false
	}
	takeMirror := groupChanged(b, o) && !groupChanged(b, f)
	for i := range dst.NumField() {
		name := dst.Type().Field(i).Name
		switch {
		case name == "Conditions":
		case mirrorFields[name]:
			if takeMirror {
				dst.Field(i).Set(o.Field(i))
			}
		case changed(b, o, name) && !changed(b, f, name):
			dst.Field(i).Set(o.Field(i))
		}
	}
	return out
}

// rebaseOnConflict gives statuspatch the reconcile's status laid over the stored copy. It
// gives up (a new reconcile runs) when the object's spec, deletion, billing.dodo-operator.io
// annotations or recorded subscription changed: the reconcile's decisions were based on
// them. Other metadata (Argo CD's tracking annotation, labels) does not matter. A reconcile
// that created the subscription never gives up for the first three: the new ID is a fact,
// not a decision, and a deletion needs it most (recordCreated).
func (r *Reconciler) rebaseOnConflict(s *scope) statuspatch.Rebase {
	return func(ctx context.Context) (client.Object, client.Object, bool, error) {
		fresh := &billingv1alpha1.Subscription{}
		if err := r.reader().Get(ctx, client.ObjectKeyFromObject(s.sub), fresh); err != nil {
			return nil, nil, false, client.IgnoreNotFound(err)
		}
		decidedOn := fresh.Generation != s.before.Generation || !fresh.DeletionTimestamp.Equal(s.before.DeletionTimestamp) ||
			!maps.Equal(ownAnnotations(fresh), ownAnnotations(s.before))
		if (decidedOn && !s.created) || fresh.Status.SubscriptionID != s.before.Status.SubscriptionID {
			return nil, nil, false, nil
		}
		next := fresh.DeepCopy()
		next.Status = *rebaseStatus(&s.before.Status, &s.sub.Status, &fresh.Status)
		setConditions(next, s.out)
		s.before, s.sub = fresh, next
		return fresh, next, true, nil
	}
}

// ownAnnotations are the object's billing.dodo-operator.io/ annotations.
func ownAnnotations(sub *billingv1alpha1.Subscription) map[string]string {
	out := map[string]string{}
	for k, v := range sub.Annotations {
		if strings.HasPrefix(k, annotationPrefix) {
			out[k] = v
		}
	}
	return out
}
