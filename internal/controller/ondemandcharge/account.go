package ondemandcharge

import (
	"context"
	"errors"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
)

// accountRecheck is how often a charge waiting for its account looks again.
const accountRecheck = 30 * time.Second

// useAccount points this reconcile's calls at the account ref names (the Subscription's,
// or the one recorded with the first attempt). waiting=true when the account cannot be
// used now: the charge waits with the reason, and nothing is called.
func (r *Reconciler) useAccount(ctx context.Context, s *scope, ref *billingv1alpha1.AccountReference) (bool, error) {
	switch {
	case ref == nil && r.API == nil:
		s.out.waiting = &conditions.Why{Reason: accounts.ErrNoDefaultAccount.Reason, Message: accounts.ErrNoDefaultAccount.Message}
		return true, nil
	case ref == nil:
		s.api = r.API
		return false, nil
	}
	if r.Accounts == nil {
		s.out.waiting = &conditions.Why{Reason: accounts.ReasonAccountNotFound,
			Message: "The charge's account is " + accounts.KeyOf(s.charge.Namespace, ref).String() + ", but this operator runs without accounts."}
		return true, nil
	}
	api, err := r.Accounts.For(ctx, s.charge.Namespace, ref)
	var notUsable *accounts.NotUsableError
	switch {
	case errors.As(err, &notUsable):
		s.out.waiting = &conditions.Why{Reason: notUsable.Reason, Message: "Waiting for the account: " + notUsable.Message}
		return true, nil
	case err != nil:
		return false, err
	}
	release, admitted := r.Accounts.Enter(api)
	if !admitted {
		// The account is saturated and its slots are taken: come back rather than hold
		// this worker at its rate limit (accounts.Clients.Enter). Nothing changed.
		s.skipStatus, s.accountBusy = true, true
		return true, nil
	}
	s.api, s.leaveAccount = api, release
	return false, nil
}

// accountWait is when a charge that could not use its account comes back.
func accountWait(s *scope) time.Duration {
	if s.accountBusy {
		return accountBusyRequeue
	}
	return accountRecheck
}

// accountBusyRequeue is when a charge turned away by a saturated account comes back.
const accountBusyRequeue = 2 * time.Second

// resolvePendingInItsAccount learns the outcome of the attempt in flight from the account
// it was made in (recorded with the attempt).
func (r *Reconciler) resolvePendingInItsAccount(ctx context.Context, s *scope, last *billingv1alpha1.ChargeAttempt) (ctrl.Result, error) {
	if waiting, err := r.useAccount(ctx, s, s.charge.Status.AccountRef); waiting || err != nil {
		return ctrl.Result{RequeueAfter: accountWait(s)}, err
	}
	return r.resolvePending(ctx, s, last)
}
