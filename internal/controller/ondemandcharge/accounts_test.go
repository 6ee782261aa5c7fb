package ondemandcharge

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo/dodofake"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
)

// A charge is made in its Subscription's account, recorded with the first attempt, and
// never through the operator's own account.
func TestAChargeIsMadeInItsSubscriptionsAccount(t *testing.T) {
	h := newHarness(t)
	// The operator's own account is another simulator: nothing may reach it.
	ownSim, ownClient := simtest.Start(t, simulator.Config{Clock: h.SimClock, WallClock: h.SimClock})
	own := dodofake.New(ownClient)
	h.charges.API = own
	clients := &accounts.Clients{Reader: env.Client}
	h.charges.Accounts, h.subs.Accounts = clients, clients
	h.subs.API = ownClient

	if err := env.Client.Create(h.Ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "brand-key", Namespace: h.NS},
		StringData: map[string]string{"key": simtest.APIKey}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(h.Ctx, &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Name: "brand", Namespace: h.NS},
		Spec: billingv1alpha1.DodoAccountSpec{BaseURL: h.Client.BaseURL(),
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "brand-key", Key: "key"}}}); err != nil {
		t.Fatal(err)
	}
	ref := &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: "brand"}
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "metered", Namespace: h.NS},
		Spec: billingv1alpha1.SubscriptionSpec{AccountRef: ref, ProductID: "pdt_sim_on_demand", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: "metered@example.com"}, Billing: billingv1alpha1.BillingAddress{Country: "US"},
			OnDemand: &billingv1alpha1.OnDemandSpec{MandateOnly: true}, PaymentLink: ptr.To(true)}}
	if err := env.Client.Create(h.Ctx, sub); err != nil {
		t.Fatal(err)
	}
	h.refreshSubscription("metered")
	if err := h.Sim.CompleteCheckout(h.getSub("metered").Status.SubscriptionID, "4242424242424242"); err != nil {
		t.Fatal(err)
	}
	h.refreshSubscription("metered")

	h.chargeAndSettle("usage", "metered", 900)
	charge := h.get("usage")
	if charge.Status.Phase != billingv1alpha1.ChargePhaseSucceeded || len(h.payments(charge.Status.ChargeKey)) != 1 {
		t.Fatalf("phase %s, %d payments in the account; want Succeeded and 1", charge.Status.Phase, len(h.payments(charge.Status.ChargeKey)))
	}
	if charge.Status.AccountRef == nil || *charge.Status.AccountRef != *ref {
		t.Fatalf("status.accountRef = %+v, want %+v", charge.Status.AccountRef, ref)
	}
	if n := len(own.Counts()); n != 0 || len(ownSim.State().Payments) != 0 {
		t.Fatalf("the operator's own account saw %v calls and %d payments", own.Counts(), len(ownSim.State().Payments))
	}
}
