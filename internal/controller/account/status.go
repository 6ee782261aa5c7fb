package account

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/controller/statuspatch"
)

// scope is one reconcile: the account as last stored, and what the reconcile found. The
// status is written once, in finish, from these fields.
type scope struct {
	acct   *accounts.Account
	obj    client.Object
	before client.Object
	now    time.Time
	// check is the key's check; nil when none was made (deletion).
	check *check
	// endpoint is what status.webhookEndpoint becomes.
	endpoint *billingv1alpha1.WebhookEndpointStatus
	// endpointCond is the WebhookEndpoint condition to set; dropEndpointCond removes it.
	endpointCond     *metav1.Condition
	dropEndpointCond bool
	// soon: check again after NotReadyRecheck although nothing failed.
	soon bool
}

func newScope(acct *accounts.Account, now time.Time) *scope {
	s := &scope{acct: acct, now: now}
	s.stored(acct.Object)
	s.endpoint = statusOf(acct.Object).WebhookEndpoint.DeepCopy()
	return s
}

// stored makes obj (just read or written) the base of the status write.
func (s *scope) stored(obj client.Object) {
	s.obj, s.acct.Object = obj, obj
	s.before = obj.DeepCopyObject().(client.Object)
}

// statusOf is the status of either kind (accounts.Get makes no other).
func statusOf(obj client.Object) *billingv1alpha1.DodoAccountStatus {
	switch o := obj.(type) {
	case *billingv1alpha1.DodoAccount:
		return &o.Status
	case *billingv1alpha1.ClusterDodoAccount:
		return &o.Status
	}
	panic(fmt.Sprintf("account: unexpected kind %T", obj))
}

// emptyLike is a new, empty object of obj's kind.
func emptyLike(obj client.Object) client.Object {
	if _, ok := obj.(*billingv1alpha1.ClusterDodoAccount); ok {
		return &billingv1alpha1.ClusterDodoAccount{}
	}
	return &billingv1alpha1.DodoAccount{}
}

// finish writes the status once; on a conflict (the receiver writes lastWebhookAt) the
// reconcile's findings are laid over the stored copy instead of being dropped, since
// dropping them would cost another read of Dodo.
func (r *Reconciler) finish(ctx context.Context, s *scope, result ctrl.Result, err error) (ctrl.Result, error) {
	beforeStatus := statusOf(s.before).DeepCopy()
	r.apply(s, s.obj, err)
	if statuspatch.EnteredReason(beforeStatus.Conditions, statusOf(s.obj).Conditions,
		billingv1alpha1.ConditionReady, billingv1alpha1.ReasonCredentialsInvalid) {
		r.event(s.obj, corev1.EventTypeWarning, billingv1alpha1.ReasonCredentialsInvalid, "CheckCredentials", "%s",
			meta.FindStatusCondition(statusOf(s.obj).Conditions, billingv1alpha1.ConditionReady).Message)
	}
	rebase := func(ctx context.Context) (client.Object, client.Object, bool, error) {
		base := emptyLike(s.obj) // a fresh object: decoding keeps fields the answer lacks
		if gerr := r.uncached().Get(ctx, client.ObjectKeyFromObject(s.obj), base); gerr != nil {
			return nil, nil, false, gerr
		}
		next := base.DeepCopyObject().(client.Object)
		r.apply(s, next, err)
		return base, next, true, nil
	}
	return statuspatch.PatchRebasing(ctx, r.Client, s.before, s.obj, beforeStatus, statusOf(s.obj), result, err, rebase)
}

// apply writes the reconcile's findings into obj's status.
func (r *Reconciler) apply(s *scope, obj client.Object, err error) {
	st, generation := statusOf(obj), obj.GetGeneration()
	if c := s.check; c != nil {
		ready := readyCondition(*c)
		ready.ObservedGeneration = generation
		meta.SetStatusCondition(&st.Conditions, ready)
		if c.called() {
			st.BaseURL, st.LastCheckedAt = c.baseURL, &metav1.Time{Time: s.now}
		}
		if ready.Status == metav1.ConditionTrue {
			st.BusinessID, st.Brands = c.business(), c.brandNames()
		}
	}
	st.WebhookEndpoint = s.endpoint.DeepCopy()
	switch {
	case s.endpointCond != nil:
		cond := *s.endpointCond
		cond.ObservedGeneration = generation
		meta.SetStatusCondition(&st.Conditions, cond)
	case s.dropEndpointCond:
		meta.RemoveStatusCondition(&st.Conditions, ConditionWebhookEndpoint)
	}
	if err == nil && s.check != nil {
		st.ObservedGeneration = generation
	}
}

// describeSecret names a Secret key in messages: never its value.
func describeSecret(acct *accounts.Account, ref billingv1alpha1.SecretKeyReference) string {
	return fmt.Sprintf("Secret %s/%s key %q", acct.SecretNamespace, ref.Name, ref.Key)
}
