package ondemandcharge

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// A charge whose Subscription never appears ends Failed after the wait, and a Subscription
// of that name created later is not charged by it.
func TestChargeOnAMissingSubscriptionEndsAfterTheWait(t *testing.T) {
	h := newHarness(t)
	h.charge("forgotten", "never", 100)
	res := h.settle("forgotten")
	c := h.get("forgotten")
	h.expectCondition(c, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonSubscriptionNotFound)
	if res.RequeueAfter <= 0 {
		t.Fatalf("no recheck at the deadline: %+v", res)
	}
	h.Clock.SetTime(c.CreationTimestamp.Add(11 * time.Minute))
	h.settle("forgotten")
	c = h.get("forgotten")
	h.expectCondition(c, billingv1alpha1.ConditionFailed, "True", billingv1alpha1.ReasonSubscriptionNotFound)
	h.onDemandSubscription("never", "late-comer@example.com")
	h.settle("forgotten")
	if n := h.api.Count("Charge"); n != 0 || h.get("forgotten").Status.Phase != billingv1alpha1.ChargePhaseFailed {
		t.Fatalf("a Subscription created after the wait was charged: %d calls", n)
	}
}

// A charge in another currency than its subscription's is refused before any call, with
// conditions that say so plainly.
func TestChargeInAnotherCurrencyIsRefused(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("usd", "usd@example.com")
	c := &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Name: "xyz", Namespace: h.NS},
		Spec: billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: "usd"},
			Amount: 100, Currency: "EUR"}}
	if err := env.Client.Create(h.Ctx, c); err != nil {
		t.Fatal(err)
	}
	h.settle("xyz")
	got := h.get("xyz")
	h.expectCondition(got, billingv1alpha1.ConditionFailed, "True", billingv1alpha1.ReasonCurrencyMismatch)
	if n := h.api.Count("Charge"); n != 0 {
		t.Fatalf("charged in the wrong currency: %d", n)
	}
	if s := meta.FindStatusCondition(got.Status.Conditions, billingv1alpha1.ConditionSucceeded); s.Message != "The charge failed." {
		t.Fatalf("Succeeded=False says %q", s.Message)
	}
}
