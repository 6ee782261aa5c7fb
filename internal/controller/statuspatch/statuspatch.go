// Package statuspatch writes a reconcile's status once, the way both controllers need it:
// only when it changed, with optimistic concurrency (the webhook receiver writes status
// too, and a write based on a stale copy must fail rather than undo its work), and with
// conflicts turned into a quiet requeue.
package statuspatch

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// conflictRequeue is how soon a reconcile whose write conflicted runs again.
const conflictRequeue = time.Second

// Patch writes obj's status when it differs from before's, and folds the outcome of the
// write into the reconcile's result and error. beforeStatus and afterStatus are the two
// status values to compare.
func Patch(ctx context.Context, c client.Client, before, obj client.Object, beforeStatus, afterStatus any,
	result ctrl.Result, err error) (ctrl.Result, error) {
	if equality.Semantic.DeepEqual(beforeStatus, afterStatus) {
		return quietConflict(result, err)
	}
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if perr := c.Status().Patch(ctx, obj, patch); perr != nil {
		if apierrors.IsConflict(perr) {
			return ctrl.Result{RequeueAfter: conflictRequeue}, nil
		}
		return result, errors.Join(err, perr)
	}
	return quietConflict(result, err)
}

func quietConflict(result ctrl.Result, err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRequeue}, nil
	}
	return result, err
}
