package account

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// reconcileNormal checks the key with one cheap read and, when it works, manages the
// webhook endpoint.
func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	// A person waits on an account's readiness: its reads are not background work.
	ctx = dodo.WithPriority(ctx, dodo.PriorityInteractive)
	if err := r.patchNamedFinalizer(ctx, s, InUseFinalizer, true); err != nil {
		return ctrl.Result{}, err
	}
	c := &check{secret: describeSecret(s.acct, s.acct.Spec.APIKeySecretRef)}
	s.check = c
	soon := ctrl.Result{RequeueAfter: r.Options.NotReadyRecheck}
	api, err := r.Accounts.ClientOf(ctx, s.acct)
	if err != nil {
		c.resolveErr = err
		s.waitForCredentials()
		var unusable *accounts.NotUsableError
		if errors.As(err, &unusable) {
			return soon, nil // said in Ready; the Secret cannot be watched, so look again soon
		}
		return ctrl.Result{}, err
	}
	c.baseURL = api.BaseURL()
	c.brands, c.apiErr = api.ListBrands(ctx)
	if c.apiErr != nil {
		s.waitForCredentials()
		return soon, nil
	}
	if err := r.reconcileEndpoint(ctx, s, api); err != nil {
		return ctrl.Result{}, err
	}
	if s.soon {
		return soon, nil
	}
	return ctrl.Result{RequeueAfter: r.Options.RecheckInterval}, nil
}

// waitForCredentials tells why a wanted endpoint is not registered yet; a registration
// made earlier keeps its condition (it still receives events while the key is fixed).
func (s *scope) waitForCredentials() {
	if wantedURL(s.acct.Spec) == "" || meta.FindStatusCondition(statusOf(s.obj).Conditions, ConditionWebhookEndpoint) != nil {
		return
	}
	s.setEndpointCond(metav1.ConditionFalse, ReasonWaitingForCredentials,
		"The endpoint is registered once the API key is verified (see the Ready condition).")
}

// reconcileDelete deletes the endpoint the operator created for the account (never an
// adopted one), then lets the account go. Without a usable key nothing can be deleted: the
// account waits, and the condition says how to let it go without the operator.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	if done, result, err := r.holdWhileInUse(ctx, s); !done || err != nil {
		return result, err
	}
	if !controllerutil.ContainsFinalizer(s.obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	api, err := r.Accounts.ClientOf(ctx, s.acct)
	if err == nil {
		err = r.deleteOwned(ctx, s, api)
	}
	if err != nil {
		s.setEndpointCond(metav1.ConditionFalse, ReasonDeleteFailed,
			"The endpoint the operator created could not be deleted: %v. The account is kept until it is; "+
				"to keep the endpoint in Dodo instead, remove the finalizer %s by hand.", err, Finalizer)
		return r.finish(ctx, s, ctrl.Result{}, err)
	}
	s.endpoint = nil
	return ctrl.Result{}, r.patchFinalizer(ctx, s, false)
}
