// Package statuspatch writes a reconcile's status once, the way both controllers need it:
// only when it changed, with optimistic concurrency (the webhook receiver writes status
// too, and a write based on a stale copy must fail rather than undo its work), and with
// conflicts either rebased onto the stored copy or turned into a quiet requeue.
package statuspatch

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// conflictRequeue is how soon a reconcile whose write conflicted runs again.
const conflictRequeue = time.Second

// maxRebases bounds how often one reconcile's status is laid over a newer stored copy; a
// writer racing for longer than that gets the quiet requeue.
const maxRebases = 3

// Rebase is called after the status write conflicted. It reads the stored copy and returns
// it (the base of the next write) with the object to write instead: the reconcile's own
// changes laid over the stored copy. ok=false means only a new reconcile can judge (its
// input changed), and the reconcile is requeued.
type Rebase func(ctx context.Context) (base, obj client.Object, ok bool, err error)

// Patch writes obj's status when it differs from before's, and folds the outcome of the
// write into the reconcile's result and error. beforeStatus and afterStatus are the two
// status values to compare. A conflict requeues the reconcile.
func Patch(ctx context.Context, c client.Client, before, obj client.Object, beforeStatus, afterStatus any,
	result ctrl.Result, err error) (ctrl.Result, error) {
	return PatchRebasing(ctx, c, before, obj, beforeStatus, afterStatus, result, err, nil)
}

// PatchRebasing is Patch that, on a conflict, asks rebase for a status based on the stored
// copy and writes that (still with optimistic concurrency), instead of dropping the
// reconcile's work: a dropped write means a new reconcile, and for the Subscription
// controller a new, rate-limited read of Dodo.
func PatchRebasing(ctx context.Context, c client.Client, before, obj client.Object, beforeStatus, afterStatus any,
	result ctrl.Result, err error, rebase Rebase) (ctrl.Result, error) {
	if equality.Semantic.DeepEqual(beforeStatus, afterStatus) {
		return QuietConflict(ctx, result, err)
	}
	perr := write(ctx, c, before, obj)
	for range maxRebases {
		if !apierrors.IsConflict(perr) || rebase == nil {
			break
		}
		base, next, ok, rerr := rebase(ctx)
		if rerr != nil {
			return result, errors.Join(err, rerr)
		}
		if !ok {
			break
		}
		perr = write(ctx, c, base, next)
	}
	switch {
	case apierrors.IsConflict(perr):
		return QuietConflict(ctx, result, perr)
	case perr != nil:
		return result, errors.Join(err, perr)
	}
	return QuietConflict(ctx, result, err)
}

func write(ctx context.Context, c client.Client, base, obj client.Object) error {
	return c.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

// QuietConflict turns a write conflict into a short requeue logged at V(1): a conflict
// is routine (the receiver wrote first), not an error for the log, the error metric or
// the workqueue's backoff.
func QuietConflict(ctx context.Context, result ctrl.Result, err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		log.FromContext(ctx).V(1).Info("Write conflict; reconciling again", "after", conflictRequeue.String())
		return ctrl.Result{RequeueAfter: conflictRequeue}, nil
	}
	return result, err
}
