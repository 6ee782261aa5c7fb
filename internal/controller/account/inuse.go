package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// InUseFinalizer holds a deleted account while objects still need it: a Subscription
// whose deletionPolicy cancels in Dodo, or a charge with an attempt in flight, can only
// finish through its account (Crossplane's ProviderConfig usage, the same idea). Deleting
// a whole application at once (Argo CD) then works in any order.
const InUseFinalizer = "billing.dodo-operator.io/in-use"

// inUseRecheck is how often a deleted account still in use looks again.
const inUseRecheck = 15 * time.Second

// holdWhileInUse keeps a deleted account until nothing uses it; done=false means wait.
func (r *Reconciler) holdWhileInUse(ctx context.Context, s *scope) (done bool, result ctrl.Result, err error) {
	if !controllerutil.ContainsFinalizer(s.obj, InUseFinalizer) {
		return true, ctrl.Result{}, nil
	}
	users, err := usersOf(ctx, r.Client, s.acct.Key)
	if err != nil {
		return false, ctrl.Result{}, err
	}
	if len(users) > 0 {
		r.event(s.obj, corev1.EventTypeNormal, "InUse", "Delete", "Kept until %d object(s) using it are gone: %s",
			len(users), strings.Join(users[:min(len(users), 5)], ", "))
		return false, ctrl.Result{RequeueAfter: inUseRecheck}, nil
	}
	return true, ctrl.Result{}, r.patchNamedFinalizer(ctx, s, InUseFinalizer, false)
}

// usersOf lists the objects that need the account: its Subscriptions (deleting ones too:
// their deletionPolicy calls Dodo) and its charges that have not ended.
func usersOf(ctx context.Context, c client.Client, key accounts.Key) ([]string, error) {
	var opts []client.ListOption
	if key.Kind == billingv1alpha1.AccountKindNamespaced {
		opts = append(opts, client.InNamespace(key.Namespace))
	}
	subs := &billingv1alpha1.SubscriptionList{}
	if err := c.List(ctx, subs, opts...); err != nil {
		return nil, err
	}
	var users []string
	for _, sub := range subs.Items {
		if sub.Spec.AccountRef != nil && accounts.KeyOf(sub.Namespace, sub.Spec.AccountRef) == key {
			users = append(users, fmt.Sprintf("Subscription %s/%s", sub.Namespace, sub.Name))
		}
	}
	charges := &billingv1alpha1.OnDemandChargeList{}
	if err := c.List(ctx, charges, opts...); err != nil {
		return nil, err
	}
	for _, ch := range charges.Items {
		ended := ch.Status.Phase == billingv1alpha1.ChargePhaseSucceeded || ch.Status.Phase == billingv1alpha1.ChargePhaseFailed
		if !ended && ch.Status.AccountRef != nil && accounts.KeyOf(ch.Namespace, ch.Status.AccountRef) == key {
			users = append(users, fmt.Sprintf("OnDemandCharge %s/%s", ch.Namespace, ch.Name))
		}
	}
	return users, nil
}
