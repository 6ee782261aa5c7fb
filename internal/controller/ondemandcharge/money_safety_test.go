package ondemandcharge

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

func failCharges(t *testing.T, h *harness, f simulator.RouteFaults) {
	t.Helper()
	if err := h.Sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{simulator.RouteCharge: f}}); err != nil {
		t.Fatal(err)
	}
}

// Dodo's payment list lags behind the charge: an unanswered charge whose payment is not
// listed yet must not be charged again.
func TestUnansweredChargeWithALaggingListIsChargedOnce(t *testing.T) {
	h := newHarness(t, func(c *simulator.Config) { c.Pessimism.ListLag = 3 * time.Minute })
	h.onDemandSubscription("lag", "lag@example.com")
	failCharges(t, h, simulator.RouteFaults{FailAfterCommitRate: 1})
	h.charge("c-lag", "lag", 500)
	h.settle("c-lag")
	failCharges(t, h, simulator.RouteFaults{})
	h.settleAfter(31*time.Second, "c-lag") // looked up, not listed yet
	h.settleAfter(2*time.Minute, "c-lag")
	if n := h.api.Count("Charge"); n != 1 {
		t.Fatalf("charged %d times while the list lagged", n)
	}
	h.settleAfter(2*time.Minute, "c-lag") // now listed
	h.settleAfter(2*time.Minute, "c-lag")
	h.expectSucceeded("c-lag", 1)
}

// A charge that surely made nothing (the request never reached Dodo, but the caller could
// not know) is made again only after the absence window.
func TestUnansweredChargeThatMadeNothingIsRepeatedAfterTheAbsenceWindow(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("absent", "absent@example.com")
	failCharges(t, h, simulator.RouteFaults{ErrorRate: 1, ErrorStatus: 502})
	h.charge("c-absent", "absent", 500)
	h.settle("c-absent")
	failCharges(t, h, simulator.RouteFaults{})
	h.settleAfter(31*time.Second, "c-absent")
	if n := h.api.Count("Charge"); n != 1 {
		t.Fatalf("charged again %d times before the absence window", n-1)
	}
	h.settleAfter(5*time.Minute, "c-absent")
	h.settleAfter(2*time.Minute, "c-absent")
	h.expectSucceeded("c-absent", 2) // the repeated call made the one payment
}

// A payment waiting for the customer (3-D Secure) is never charged again, and does not
// block the customer's other charges.
func TestPaymentAwaitingTheCustomerFreesTheCustomersSlot(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("first", "same@example.com")
	h.onDemandSubscription("second", "same@example.com")
	if h.getSub("first").Status.CustomerID != h.getSub("second").Status.CustomerID {
		t.Fatal("want one customer for both subscriptions")
	}
	h.charge("c-3ds", "first", 100)
	h.settle("c-3ds")
	waiting := h.get("c-3ds").Status.Attempts[0].PaymentID
	h.api.GetPaymentFn = func(ctx context.Context, id string) (*dodo.Payment, error) {
		p, err := h.api.Client.GetPayment(ctx, id)
		if err == nil && p.PaymentID == waiting { // a state the simulator does not make
			p.Status = ptr.To(dodo.PaymentStatusRequiresCustomerAction)
		}
		return p, err
	}
	h.settleAfter(2*time.Minute, "c-3ds")
	c := h.get("c-3ds")
	h.expectCondition(c, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonAwaitingCustomerAction)
	if c.Status.Attempts[0].AwaitingCustomerSince == nil || c.Status.Attempts[0].Outcome != billingv1alpha1.AttemptPending {
		t.Fatalf("attempt: %+v", c.Status.Attempts[0])
	}
	h.charge("c-other", "second", 200)
	h.settle("c-other")
	if n := h.api.Count("Charge"); n != 2 {
		t.Fatalf("charge calls %d: the other charge of the customer waited behind the open payment", n)
	}
	h.settleAfter(time.Hour, "c-3ds")
	if n := len(h.get("c-3ds").Status.Attempts); n != 1 {
		t.Fatalf("an open payment got %d attempts", n)
	}
}

// Dodo refuses charges on a subscription scheduled to cancel; the charge waits with that
// reason and makes no call.
func TestChargeWaitsOnAScheduledCancellation(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("ending", "ending@example.com")
	sub := h.getSub("ending")
	sub.Spec.CancelAtNextBillingDate = ptr.To(true)
	if err := env.Client.Update(h.Ctx, sub); err != nil {
		t.Fatal(err)
	}
	h.refreshSubscription("ending")
	if !h.getSub("ending").Status.CancelAtNextBillingDate {
		t.Fatal("the subscription is not scheduled to cancel")
	}
	h.charge("c-ending", "ending", 100)
	h.settle("c-ending")
	c := h.get("c-ending")
	h.expectCondition(c, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonSubscriptionCancelling)
	h.expectCondition(c, billingv1alpha1.ConditionFailed, "False", "NotFailed")
	if n := h.api.Count("Charge"); n != 0 {
		t.Fatalf("charged a subscription scheduled to cancel: %d", n)
	}
}

// A Subscription whose adoption was refused never gets the owner's ID, so a charge on it
// never charges the owner's customer.
func TestChargeOnARefusedAdoptionChargesNobody(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("owner", "owner@example.com")
	owner := h.getSub("owner")
	thief := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "thief", Namespace: h.NS}, Spec: owner.Spec}
	thief.Spec.Adopt = &billingv1alpha1.AdoptSpec{SubscriptionID: owner.Status.SubscriptionID}
	if err := env.Client.Create(h.Ctx, thief); err != nil {
		t.Fatal(err)
	}
	h.refreshSubscription("thief")
	if got := h.getSub("thief").Status.SubscriptionID; got != "" {
		t.Fatalf("refused adoption recorded %q", got)
	}
	h.charge("c-thief", "thief", 100)
	h.settle("c-thief")
	h.expectCondition(h.get("c-thief"), billingv1alpha1.ConditionReady, "False", "SubscriptionNotCreated")
	if n := h.api.Count("Charge"); n != 0 {
		t.Fatalf("charged the owner's subscription through a refused adoption: %d", n)
	}
}
