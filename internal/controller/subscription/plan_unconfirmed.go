package subscription

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// reviewSentPlan decides, on a fresh read, whether the change-plan recorded in
// status.lastPlanChangeRequest still blocks a new call although Dodo shows it neither
// applied nor scheduled PlanChangeConfirmWithin after it was sent: a call whose answer was
// lost before Dodo took it. It is never sent again on its own (a change-plan can charge);
// Ready says PlanChangeNotApplied and tells a person how to send it once more
// (AnnotationResendPlanChange), which clears the marker here so that applyPlan sends it.
func (r *Reconciler) reviewSentPlan(s *scope, observed *dodo.Subscription) {
	st := &s.sub.Status
	last := st.LastPlanChangeRequest
	notApplied := last != nil && requestMatchesSpec(last, &s.sub.Spec) && !scheduledAsSpec(&s.sub.Spec, observed) &&
		s.now.Sub(last.RequestedAt.Time) >= r.Options.PlanChangeConfirmWithin
	if notApplied && s.sub.Annotations[billingv1alpha1.AnnotationResendPlanChange] == last.RequestedAt.UTC().Format(time.RFC3339) {
		st.LastPlanChangeRequest = nil // planChange asks for the call again, under a new marker
		r.event(s.sub, corev1.EventTypeNormal, "PlanChangeResent", "ChangePlan",
			"Annotation %s: sending the change-plan to %s x%d again", billingv1alpha1.AnnotationResendPlanChange,
			last.ProductID, last.Quantity)
		notApplied = false
	}
	s.out.planNotApplied = &notApplied
}

// requestMatchesSpec says whether a recorded change-plan asked for the spec's plan.
func requestMatchesSpec(last *billingv1alpha1.PlanRequest, spec *billingv1alpha1.SubscriptionSpec) bool {
	return last.ProductID == spec.ProductID && last.Quantity == spec.Quantity && slices.Equal(last.Addons, spec.Addons)
}

// scheduledAsSpec says whether Dodo has the spec's plan scheduled (for the next billing date).
func scheduledAsSpec(spec *billingv1alpha1.SubscriptionSpec, observed *dodo.Subscription) bool {
	sc := observed.ScheduledChange
	return sc != nil && sc.ProductID == spec.ProductID && sc.Quantity == int(spec.Quantity)
}
