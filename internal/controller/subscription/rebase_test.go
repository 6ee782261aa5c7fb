package subscription

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
)

func TestRebaseStatus(t *testing.T) {
	at := func(minute int) *metav1.Time {
		mt := metav1.NewTime(controllertest.T0.Add(time.Duration(minute) * time.Minute))
		return &mt
	}
	event := &billingv1alpha1.WebhookEventRef{ID: "msg_1", Type: "subscription.on_hold", Timestamp: *at(5)}
	plan := &billingv1alpha1.PlanRequest{ProductID: "pdt_pro", Quantity: 2, RequestedAt: *at(6)}
	base := billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub_1", ProviderStatus: "active", NextBillingDate: at(100),
		CreatePendingSince: at(1)}
	cases := map[string]struct {
		ours, fresh, want func(*billingv1alpha1.SubscriptionStatus)
	}{
		"our own fields survive the receiver's write": {
			ours: func(s *billingv1alpha1.SubscriptionStatus) {
				s.LastObservedAt, s.LastPlanChangeRequest, s.CreatePendingSince, s.ObservedGeneration = at(7), plan, nil, 3
			},
			fresh: func(s *billingv1alpha1.SubscriptionStatus) {
				s.LastWebhookEvent, s.RecentWebhookIDs = event, []string{"msg_1"}
			},
			want: func(s *billingv1alpha1.SubscriptionStatus) {
				s.LastObservedAt, s.LastPlanChangeRequest, s.CreatePendingSince, s.ObservedGeneration = at(7), plan, nil, 3
				s.LastWebhookEvent, s.RecentWebhookIDs = event, []string{"msg_1"}
			},
		},
		"the receiver's mirror wins as a whole over our read": {
			ours: func(s *billingv1alpha1.SubscriptionStatus) {
				s.ProviderStatus, s.NextBillingDate, s.PaymentMethodID, s.LastObservedAt = "active", at(200), "pm_read", at(7)
			},
			fresh: func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus, s.LastWebhookEvent = "on_hold", event },
			want: func(s *billingv1alpha1.SubscriptionStatus) {
				s.ProviderStatus, s.LastWebhookEvent, s.LastObservedAt = "on_hold", event, at(7)
			},
		},
		"our read applies when the receiver left the mirror alone": {
			ours: func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus, s.NextBillingDate = "on_hold", at(200) },
			fresh: func(s *billingv1alpha1.SubscriptionStatus) {
				s.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: "pay_1", Status: "failed"}
			},
			want: func(s *billingv1alpha1.SubscriptionStatus) {
				s.ProviderStatus, s.NextBillingDate = "on_hold", at(200)
				s.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: "pay_1", Status: "failed"}
			},
		},
		"a field both changed keeps the receiver's value": {
			ours: func(s *billingv1alpha1.SubscriptionStatus) {
				s.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: "pay_old", Status: "failed"}
			},
			fresh: func(s *billingv1alpha1.SubscriptionStatus) {
				s.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: "pay_new", Status: "succeeded"}
			},
			want: func(s *billingv1alpha1.SubscriptionStatus) {
				s.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: "pay_new", Status: "succeeded"}
			},
		},
		"nothing of ours: the stored copy as it is": {
			ours:  func(*billingv1alpha1.SubscriptionStatus) {},
			fresh: func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus = "cancelled" },
			want:  func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus = "cancelled" },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ours, fresh, want := base.DeepCopy(), base.DeepCopy(), base.DeepCopy()
			tc.ours(ours)
			tc.fresh(fresh)
			tc.want(want)
			got := rebaseStatus(base.DeepCopy(), ours, fresh)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("rebased status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnAnnotations(t *testing.T) {
	sub := &billingv1alpha1.Subscription{}
	sub.Annotations = map[string]string{billingv1alpha1.AnnotationPaused: "true", "argocd.argoproj.io/tracking-id": "billing:x", billingv1alpha1.AnnotationResyncInterval: "5m"}
	got := ownAnnotations(sub)
	if len(got) != 2 || got[billingv1alpha1.AnnotationPaused] != "true" || got[billingv1alpha1.AnnotationResyncInterval] != "5m" {
		t.Fatalf("own annotations: %v", got)
	}
}
