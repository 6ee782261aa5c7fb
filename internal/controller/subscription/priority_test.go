package subscription

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestReadClass(t *testing.T) {
	observed := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	steady := func() *billingv1alpha1.Subscription {
		sub := &billingv1alpha1.Subscription{}
		sub.Generation = 2
		sub.Status = billingv1alpha1.SubscriptionStatus{ObservedGeneration: 2, LastObservedAt: &observed, ProviderStatus: "active"}
		return sub
	}
	tests := []struct {
		name   string
		mutate func(*billingv1alpha1.Subscription)
		want   dodo.Priority
	}{
		{"resync", func(*billingv1alpha1.Subscription) {}, dodo.PriorityBackground},
		{"first read", func(s *billingv1alpha1.Subscription) { s.Status.LastObservedAt = nil }, dodo.PriorityInteractive},
		{"spec changed", func(s *billingv1alpha1.Subscription) { s.Generation = 3 }, dodo.PriorityInteractive},
		{"refresh asked", func(s *billingv1alpha1.Subscription) {
			s.Annotations = map[string]string{billingv1alpha1.AnnotationReconcileRequestedAt: "now"}
		}, dodo.PriorityInteractive},
		{"plan change pending", func(s *billingv1alpha1.Subscription) {
			s.Status.LastPlanChangeRequest = &billingv1alpha1.PlanRequest{}
		}, dodo.PriorityInteractive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := steady()
			tt.mutate(sub)
			if got := readClass(sub); got != tt.want {
				t.Errorf("readClass = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResyncRequeuesAtLowPriority(t *testing.T) {
	res := resyncAfter(&billingv1alpha1.SubscriptionStatus{}, time.Hour)
	if res.Priority == nil || *res.Priority != handler.LowPriority || res.RequeueAfter != time.Hour {
		t.Errorf("resync result = %+v, want low priority after 1h", res)
	}
	pending := resyncAfter(&billingv1alpha1.SubscriptionStatus{LastPlanChangeRequest: &billingv1alpha1.PlanRequest{}}, time.Minute)
	if pending.Priority != nil {
		t.Errorf("a pending plan change's recheck lost its priority: %+v", pending)
	}
}

// A new object reaches its create in its first reconcile, with the finalizer stored
// before the call: a second pass would wait behind the resync backlog.
func TestNewObjectIsCreatedInItsFirstReconcile(t *testing.T) {
	h := newHarness(t)
	h.subscription("first")
	if _, err := h.run("first"); err != nil {
		t.Fatal(err)
	}
	got := h.get("first")
	if h.api.Count("CreateSubscription") != 1 || got.Status.SubscriptionID == "" {
		t.Fatalf("after one reconcile: calls %v, status %+v", h.api.Counts(), got.Status)
	}
	if len(got.Finalizers) != 1 || got.Finalizers[0] != Finalizer {
		t.Fatalf("finalizers %v", got.Finalizers)
	}
}
