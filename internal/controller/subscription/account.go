package subscription

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// accountRecheck is how often a Subscription waiting for its account looks again (a change
// of the account itself is watched and comes sooner).
const accountRecheck = 30 * time.Second

// waitForAccount points this reconcile's calls at the Subscription's account, and says
// whether the reconcile must stop and wait for it instead (the reason goes to Synced;
// nothing is called). A deletion whose policy makes no call does not wait.
func (r *Reconciler) waitForAccount(ctx context.Context, s *scope) bool {
	ref := s.sub.Spec.AccountRef
	switch {
	case deletesWithoutCalls(s.sub):
		return false
	case ref == nil && r.API == nil:
		s.out.accountWait = &conditions.Why{Reason: accounts.ErrNoDefaultAccount.Reason, Message: accounts.ErrNoDefaultAccount.Message}
		return true
	case ref == nil:
		return false
	}
	key := accounts.KeyOf(s.sub.Namespace, ref)
	s.out.account = key
	if r.Accounts == nil {
		s.out.accountWait = &conditions.Why{Reason: accounts.ReasonAccountNotFound,
			Message: "spec.accountRef names " + key.String() + ", but this operator runs without accounts."}
		return true
	}
	api, err := r.Accounts.For(ctx, s.sub.Namespace, ref)
	var notUsable *accounts.NotUsableError
	switch {
	case errors.As(err, &notUsable):
		s.out.accountWait = &conditions.Why{Reason: notUsable.Reason, Message: "Waiting for the account: " + notUsable.Message +
			"; nothing is called in Dodo until it can be used."}
		return true
	case err != nil:
		s.out.err = err
		return true
	}
	s.api.api = api
	return false
}

// accountBusyRequeue is when a reconcile turned away by a saturated account comes back.
const accountBusyRequeue = 2 * time.Second

// enterAccount takes one of the account's slots (accounts.Clients.Enter) for this
// reconcile, just before its first call; false when the account is saturated and its
// slots are taken, so that this worker serves other accounts instead of waiting at this
// one's rate limit. Reconciles that make no call never take one.
func (r *Reconciler) enterAccount(s *scope) bool {
	payments, ok := s.api.api.(*dodo.Client)
	if r.Accounts == nil || !ok {
		return true
	}
	if s.entered {
		return true
	}
	release, ok := r.Accounts.Enter(payments)
	if ok {
		s.leaveAccount, s.entered = release, true
	}
	return ok
}

// accountBusy ends a reconcile turned away by its saturated account: nothing was done or
// learned, so nothing is written; it comes back soon.
func (r *Reconciler) accountBusy(s *scope) (ctrl.Result, error) {
	s.skipStatus = true
	return ctrl.Result{RequeueAfter: accountBusyRequeue}, nil
}

// deletesWithoutCalls is true for a deletion that lets the object go without a call to
// Dodo, so it never waits for an account that may be gone already.
func deletesWithoutCalls(sub *billingv1alpha1.Subscription) bool {
	return !sub.DeletionTimestamp.IsZero() && (sub.Spec.DeletionPolicy == billingv1alpha1.DeletionPolicyOrphan ||
		sub.Spec.ManagementPolicy == billingv1alpha1.ManagementPolicyObserveOnly)
}

// credentialsMessageOf explains a refused API key for the account that holds it.
func credentialsMessageOf(account accounts.Key) string {
	if account.IsDefault() {
		return credentialsMessage
	}
	return "Dodo refused the API key of " + account.String() + " (HTTP 401/403); nothing was done. Check the Secret its " +
		"apiKeySecretRef names and that the key's mode (test or live) matches its environment or baseURL."
}

// accountIndex indexes Subscriptions by the account they use (accounts.Key.String()).
const accountIndex = "spec.accountRef"

func indexAccount(o client.Object) []string {
	sub := o.(*billingv1alpha1.Subscription)
	if sub.Spec.AccountRef == nil {
		return nil
	}
	return []string{accounts.KeyOf(sub.Namespace, sub.Spec.AccountRef).String()}
}

// subscriptionsOfAccount maps a change of an account to the Subscriptions that use it.
func (r *Reconciler) subscriptionsOfAccount(kind billingv1alpha1.AccountKind) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		key := accounts.Key{Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName()}
		list := &billingv1alpha1.SubscriptionList{}
		if err := r.List(ctx, list, client.MatchingFields{accountIndex: key.String()}); err != nil {
			return nil
		}
		out := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return out
	}
}

// accountUsabilityChanged passes spec changes and Ready flips only: the account's other
// status writes (lastCheckedAt, lastWebhookAt) must not wake every Subscription using it.
var accountUsabilityChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() || readyOf(e.ObjectOld) != readyOf(e.ObjectNew)
	},
}

func readyOf(o client.Object) metav1.ConditionStatus {
	var conds []metav1.Condition
	switch a := o.(type) {
	case *billingv1alpha1.DodoAccount:
		conds = a.Status.Conditions
	case *billingv1alpha1.ClusterDodoAccount:
		conds = a.Status.Conditions
	}
	if c := meta.FindStatusCondition(conds, billingv1alpha1.ConditionReady); c != nil {
		return c.Status
	}
	return metav1.ConditionUnknown
}
