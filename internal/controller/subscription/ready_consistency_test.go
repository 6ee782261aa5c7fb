package subscription

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// TestReconcileAfterAWebhookWritesNothing: the webhook receiver changes the provider
// fields and sets Ready (providerstate.SetReadyAfterEvent); the controller's reconcile that
// this write sets off makes no call (no read is due) and must find its conditions already
// right, so it writes nothing: one API-server write per event (issue 17). Every provider
// status an event can bring is crossed with every object state a no-call reconcile sees.
func TestReconcileAfterAWebhookWritesNothing(t *testing.T) {
	declined := &billingv1alpha1.PaymentSummary{PaymentID: "pay_1", Status: "failed", DeclineCode: "CARD_DECLINED"}
	events := map[string]func(*billingv1alpha1.SubscriptionStatus){
		"active":          func(st *billingv1alpha1.SubscriptionStatus) { st.ProviderStatus = "active" },
		"on_hold":         func(st *billingv1alpha1.SubscriptionStatus) { st.ProviderStatus = "on_hold" },
		"on_hold+decline": func(st *billingv1alpha1.SubscriptionStatus) { st.ProviderStatus, st.LastPayment = "on_hold", declined },
		"failed+decline":  func(st *billingv1alpha1.SubscriptionStatus) { st.ProviderStatus, st.LastPayment = "failed", declined },
		"cancelled":       func(st *billingv1alpha1.SubscriptionStatus) { st.ProviderStatus = "cancelled" },
		"pending":         func(st *billingv1alpha1.SubscriptionStatus) { st.ProviderStatus = "pending" },
		"pending+link": func(st *billingv1alpha1.SubscriptionStatus) {
			st.ProviderStatus, st.PaymentLink = "pending", "https://pay"
		},
		"expired": func(st *billingv1alpha1.SubscriptionStatus) {
			st.ProviderStatus, st.PaymentLinkExpiresAt = "expired", ptr.To(metav1.Now())
		},
	}
	stall := &conditions.Why{Reason: billingv1alpha1.ReasonInvalidSpec, Message: "fix the spec"}
	states := map[string]struct {
		prepare func(*billingv1alpha1.Subscription)
		found   func(*billingv1alpha1.Subscription) findings // what the no-call reconcile finds
	}{
		"plain": {func(*billingv1alpha1.Subscription) {}, notDue},
		"planChangeSent": {func(s *billingv1alpha1.Subscription) {
			s.Status.LastPlanChangeRequest = &billingv1alpha1.PlanRequest{ProductID: "prod_b", Quantity: 1}
		}, notDue},
		"planChangeNotApplied": {func(s *billingv1alpha1.Subscription) {
			s.Status.LastPlanChangeRequest = &billingv1alpha1.PlanRequest{ProductID: "prod_b", Quantity: 1}
			setConditions(s, findings{planPending: true, planNotApplied: ptr.To(true)}) // a read found it
		}, notDue},
		"paymentLinkAsked": {func(s *billingv1alpha1.Subscription) { s.Spec.PaymentLink = ptr.To(true) }, notDue},
		"paused": {func(s *billingv1alpha1.Subscription) {
			s.Annotations = map[string]string{billingv1alpha1.AnnotationPaused: "true"}
			s.Status.LastPlanChangeRequest = &billingv1alpha1.PlanRequest{ProductID: "prod_b", Quantity: 1}
		}, func(*billingv1alpha1.Subscription) findings { return findings{paused: true} }},
		"stalled": {func(*billingv1alpha1.Subscription) {},
			func(*billingv1alpha1.Subscription) findings { return findings{stalled: stall} }},
	}
	for stateName, state := range states {
		for eventName, event := range events {
			t.Run(stateName+"/"+eventName, func(t *testing.T) {
				sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
				sub.Status.SubscriptionID, sub.Status.ProviderStatus = "sub_1", "active"
				state.prepare(sub)
				setConditions(sub, state.found(sub)) // the controller's last write

				event(&sub.Status) // the receiver's write
				providerstate.SetProviderConditions(&sub.Status, sub.Generation)
				providerstate.SetReadyAfterEvent(sub)
				afterReceiver := sub.DeepCopy()

				setConditions(sub, state.found(sub)) // the reconcile it sets off
				if diff := cmp.Diff(afterReceiver.Status, sub.Status,
					cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
					t.Fatalf("the reconcile after the receiver's write would write (-receiver +controller):\n%s", diff)
				}
			})
		}
	}
}

// notDue is what reconcileNormal finds when no read is due: only the recorded plan change.
func notDue(sub *billingv1alpha1.Subscription) findings {
	return findings{planPending: sub.Status.LastPlanChangeRequest != nil}
}

// TestReadyIsTheControllersBeforeTheID: a webhook that lands while the controller is still
// recording the ID does not touch Ready (the controller is creating, or waiting for its
// account, and only it knows which).
func TestReadyIsTheControllersBeforeTheID(t *testing.T) {
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Generation: 1}}
	setConditions(sub, findings{accountWait: &conditions.Why{Reason: "AccountNotFound", Message: "no account"}})
	before := sub.DeepCopy()
	sub.Status.ProviderStatus = "active"
	providerstate.SetReadyAfterEvent(sub)
	if diff := cmp.Diff(before.Status.Conditions, sub.Status.Conditions,
		cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")); diff != "" {
		t.Fatalf("Ready changed before the ID was recorded:\n%s", diff)
	}
}
