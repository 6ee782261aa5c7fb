package subscription

import (
	"time"

	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// resyncAfter requeues for the next read at low priority in the workqueue (the priority
// queue controller-runtime uses by default): new objects, spec changes and webhook-driven
// reconciles are taken before a backlog of resyncs. A pending plan change keeps its
// priority: a person waits for Ready.
func resyncAfter(st *billingv1alpha1.SubscriptionStatus, wait time.Duration) ctrl.Result {
	if st.LastPlanChangeRequest != nil {
		return ctrl.Result{RequeueAfter: wait}
	}
	return ctrl.Result{RequeueAfter: wait, Priority: ptr.To(handler.LowPriority)}
}

// readClass is the budget class of this reconcile's reads of Dodo: a resync is
// background; the first read, a read after a spec change and a refresh a person asked for
// are interactive.
func readClass(sub *billingv1alpha1.Subscription) dodo.Priority {
	st := &sub.Status
	if st.LastObservedAt == nil || st.ProviderStatus == "" || sub.Generation != st.ObservedGeneration ||
		sub.Annotations[billingv1alpha1.AnnotationReconcileRequestedAt] != st.LastHandledReconcileAt ||
		st.LastPlanChangeRequest != nil {
		return dodo.PriorityInteractive
	}
	return dodo.PriorityBackground
}
