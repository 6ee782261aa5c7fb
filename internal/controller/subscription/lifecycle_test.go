package subscription

import (
	"context"
	"path"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestDeletionAppliesThePolicy(t *testing.T) {
	// atDodo is what deletion left at Dodo, and the writes it took.
	type atDodo struct {
		Status      dodo.SubscriptionStatus
		CancelAtEnd bool
		Writes      int
	}
	cases := map[string]struct {
		policy billingv1alpha1.DeletionPolicy
		want   atDodo
	}{
		"DefaultCancelsAtPeriodEnd": {"", atDodo{dodo.SubscriptionStatusActive, true, 1}},
		"Cancel":                    {billingv1alpha1.DeletionPolicyCancel, atDodo{dodo.SubscriptionStatusCancelled, false, 1}},
		"Orphan":                    {billingv1alpha1.DeletionPolicyOrphan, atDodo{dodo.SubscriptionStatusActive, false, 0}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			sub := activeSubscription(t, h, "doomed", func(s *billingv1alpha1.Subscription) { s.Spec.DeletionPolicy = tc.policy })
			writes := h.api.Writes()
			if err := env.Client.Delete(h.Ctx, h.get("doomed")); err != nil {
				t.Fatal(err)
			}
			h.settle("doomed")
			err := env.Client.Get(h.Ctx, client.ObjectKeyFromObject(sub), &billingv1alpha1.Subscription{})
			if !apierrors.IsNotFound(err) {
				t.Fatalf("object still there after deletion: %v", err)
			}
			sim := h.simSubscriptions(sub)[0]
			got := atDodo{Status: sim.Status, CancelAtEnd: sim.CancelAtNextBillingDate, Writes: h.api.Writes() - writes}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("after deletion (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeletionLetsGoOfAVanishedOrFinishedSubscription(t *testing.T) {
	h := newHarness(t)
	sub := h.subscription("vanished", func(s *billingv1alpha1.Subscription) {
		s.Spec.Adopt = &billingv1alpha1.AdoptSpec{SubscriptionID: "sub_never_existed"}
	})
	h.settle("vanished")
	h.expectCondition(h.get("vanished"), billingv1alpha1.ConditionStalled, "True", billingv1alpha1.ReasonNotFoundInDodo)
	if err := env.Client.Delete(h.Ctx, h.get("vanished")); err != nil {
		t.Fatal(err)
	}
	h.settle("vanished")
	if err := env.Client.Get(h.Ctx, client.ObjectKeyFromObject(sub), &billingv1alpha1.Subscription{}); !apierrors.IsNotFound(err) {
		t.Fatalf("finalizer blocked on a subscription Dodo does not have: %v", err)
	}
}

func TestAdoptionOfAnExistingSubscription(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "original", func(s *billingv1alpha1.Subscription) {
		s.Spec.DeletionPolicy = billingv1alpha1.DeletionPolicyOrphan
	})
	id := h.get("original").Status.SubscriptionID

	// While the original object exists, another object may not take the subscription over.
	h.subscription("thief", func(s *billingv1alpha1.Subscription) {
		s.Spec.Adopt = &billingv1alpha1.AdoptSpec{SubscriptionID: id}
	})
	h.settle("thief")
	h.expectCondition(h.get("thief"), billingv1alpha1.ConditionStalled, "True", billingv1alpha1.ReasonAdoptionRefused)
	if n := h.api.Count("UpdateSubscription"); n != 0 {
		t.Fatalf("writes to a subscription owned by another object: %d", n)
	}

	// Once the original is deleted (Orphan), explicit adoption takes over and restamps it.
	if err := env.Client.Delete(h.Ctx, h.get("original")); err != nil {
		t.Fatal(err)
	}
	h.settle("original")
	h.update("thief", func(s *billingv1alpha1.Subscription) {
		s.Annotations = map[string]string{billingv1alpha1.AnnotationReconcileRequestedAt: "retry"}
	})
	h.settle("thief")
	got := h.get("thief")
	h.expectCondition(got, billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
	sim := h.simSubscriptions(got)
	if len(sim) != 1 || sim[0].SubscriptionID != id || sim[0].Metadata["k8s_name"] != "thief" {
		t.Fatalf("adopted subscription not restamped: %+v", sim)
	}
	if h.api.Count("CreateSubscription") != 1 {
		t.Fatalf("adoption created a subscription: %v", h.api.Counts())
	}
}

func TestObserveOnlyNeverWrites(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "source", func(s *billingv1alpha1.Subscription) {
		s.Spec.DeletionPolicy = billingv1alpha1.DeletionPolicyOrphan
	})
	id := h.get("source").Status.SubscriptionID
	if err := env.Client.Delete(h.Ctx, h.get("source")); err != nil {
		t.Fatal(err)
	}
	h.settle("source")
	writes := h.api.Writes()

	h.subscription("watcher", func(s *billingv1alpha1.Subscription) {
		s.Spec.Adopt = &billingv1alpha1.AdoptSpec{SubscriptionID: id}
		s.Spec.ManagementPolicy = billingv1alpha1.ManagementPolicyObserveOnly
		s.Spec.Quantity = 7 // drift that a managed object would correct
		s.Spec.Metadata = map[string]string{"x": "y"}
		s.Spec.DeletionPolicy = billingv1alpha1.DeletionPolicyCancel
	})
	h.settle("watcher")
	h.Clock.Step(3 * time.Hour)
	h.settle("watcher")
	got := h.get("watcher")
	if got.Status.SubscriptionID != id || got.Status.ProviderStatus != "active" {
		t.Fatalf("observe-only status: %+v", got.Status)
	}
	if err := env.Client.Delete(h.Ctx, got); err != nil {
		t.Fatal(err)
	}
	h.settle("watcher")
	if h.api.Writes() != writes {
		t.Fatalf("observe-only wrote to Dodo: %v", h.api.Counts())
	}
}

func TestPaymentMethodChanges(t *testing.T) {
	h := newHarness(t)
	sub := activeSubscription(t, h, "pm")
	h.update("pm", func(s *billingv1alpha1.Subscription) {
		s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "2026-11"}}
	})
	h.settle("pm")
	got := h.get("pm")
	if got.Status.PaymentLink == "" || got.Status.LastPaymentMethodRequest != "new:2026-11" {
		t.Fatalf("new payment method request: %+v", got.Status)
	}
	h.Clock.Step(2 * time.Hour)
	h.settle("pm")
	if n := h.api.Count("UpdatePaymentMethod"); n != 1 {
		t.Fatalf("update-payment-method calls for one token: %d", n)
	}
	// A new token asks again.
	h.update("pm", func(s *billingv1alpha1.Subscription) { s.Spec.PaymentMethod.New.Token = "2026-12" })
	h.settle("pm")
	if n := h.api.Count("UpdatePaymentMethod"); n != 2 {
		t.Fatalf("update-payment-method calls after a new token: %d", n)
	}
	if len(h.simSubscriptions(sub)) != 1 {
		t.Fatal("payment method change created a subscription")
	}
}

func TestOnHoldShowsTheDeclineAndReactivatesThroughPaymentMethod(t *testing.T) {
	h := newHarness(t)
	sub := h.subscription("hold", withPaymentLink, func(s *billingv1alpha1.Subscription) {
		// A trial authorises the card without charging; the first charge, at the end of
		// the trial, declines.
		s.Spec.ProductID = "pdt_sim_trial"
		s.Spec.Customer.Email = "ops+decline_insufficient_funds@example.com"
	})
	h.settle("hold")
	creationLink := h.get("hold").Status.PaymentLink
	if err := h.Sim.CompleteCheckout(h.get("hold").Status.SubscriptionID, "4242424242424242"); err != nil {
		t.Fatal(err)
	}
	h.SimClock.Step(time.Minute)
	h.Sim.ProcessDue()
	h.Clock.Step(2 * time.Hour)
	h.settle("hold")
	if status := h.get("hold").Status.ProviderStatus; status != "active" {
		t.Fatalf("in trial: %q, want active", status)
	}
	h.SimClock.Step(15 * 24 * time.Hour)
	h.Sim.ProcessDue()
	h.Clock.Step(2 * time.Hour)
	h.settle("hold")
	got := h.get("hold")
	if got.Status.ProviderStatus != "on_hold" {
		t.Fatalf("want on_hold after a declined payment, got %q", got.Status.ProviderStatus)
	}
	h.expectCondition(got, billingv1alpha1.ConditionOnHold, "True", "InsufficientFunds")
	h.expectCondition(got, billingv1alpha1.ConditionReady, "False", "InsufficientFunds")
	h.expectEvent("Warning SubscriptionOnHold")

	// While the request is made, status shows no link: the paid creation link is not the
	// one to pay (a person, or kubectl dodo link, never picks it up by mistake).
	linkDuringCall := "unset"
	h.api.UpdatePaymentMethodFn = func(ctx context.Context, id string, req dodo.UpdatePaymentMethodRequest) (
		*dodo.UpdatePaymentMethodResponse, error) {
		linkDuringCall = h.get("hold").Status.PaymentLink
		return h.api.Client.UpdatePaymentMethod(ctx, id, req)
	}
	h.update("hold", func(s *billingv1alpha1.Subscription) {
		s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "fix"}}
	})
	h.settle("hold")
	link := h.get("hold").Status.PaymentLink
	if linkDuringCall != "" || link == "" || link == creationLink {
		t.Fatalf("stored link during the call %q, after it %q (creation link %q)", linkDuringCall, link, creationLink)
	}
	if err := h.Sim.CompleteCheckout(path.Base(link), "5555555555554444"); err != nil {
		t.Fatal(err)
	}
	h.SimClock.Step(time.Minute)
	h.Sim.ProcessDue()
	h.Clock.Step(2 * time.Hour)
	h.settle("hold")
	got = h.get("hold")
	h.expectCondition(got, billingv1alpha1.ConditionActive, "True", "Active")
	h.expectCondition(got, billingv1alpha1.ConditionOnHold, "False", "NotOnHold")
	h.expectEvent("Normal SubscriptionReactivated")
	if len(h.simSubscriptions(sub)) != 1 {
		t.Fatal("reactivation created a subscription")
	}
}

func TestTerminalSubscriptionIsNeitherWrittenNorPolled(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "ended", func(s *billingv1alpha1.Subscription) { s.Spec.DeletionPolicy = billingv1alpha1.DeletionPolicyOrphan })
	id := h.get("ended").Status.SubscriptionID
	status := dodo.SubscriptionStatusCancelled
	if _, err := h.api.Client.UpdateSubscription(h.Ctx, id, dodo.UpdateSubscriptionRequest{Status: &status}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Step(2 * time.Hour)
	h.settle("ended")
	if got := h.get("ended"); got.Status.ProviderStatus != "cancelled" {
		t.Fatalf("status %q", got.Status.ProviderStatus)
	}
	h.update("ended", func(s *billingv1alpha1.Subscription) { s.Spec.Quantity = 9 }) // drift that must not be sent
	h.settle("ended")
	calls := h.api.Total()
	h.Clock.Step(5 * time.Hour)
	h.settle("ended")
	if h.api.Total() != calls || h.api.Count("ChangePlan") != 0 {
		t.Fatalf("a cancelled subscription was written or polled: %v", h.api.Counts())
	}
}
