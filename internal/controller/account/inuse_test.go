package account

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
)

// A deleted account stays while a Subscription uses it (its deletionPolicy needs the
// account to cancel in Dodo), and goes once the Subscription is gone.
func TestAnAccountInUseIsKeptUntilItsSubscriptionsAreGone(t *testing.T) {
	h := newHarness(t)
	_, c := h.sim("bus_inuse", "sk_inuse")
	h.secret("brand-key", map[string]string{"apiKey": "sk_inuse"})
	h.account("brand", c.BaseURL())
	h.mustRun("brand")
	if !controllerutil.ContainsFinalizer(h.get("brand"), InUseFinalizer) {
		t.Fatalf("no %s finalizer on a checked account", InUseFinalizer)
	}
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "user", Namespace: h.NS},
		Spec: billingv1alpha1.SubscriptionSpec{ProductID: "pdt_x", Quantity: 1,
			AccountRef: &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: "brand"},
			Customer:   billingv1alpha1.CustomerSpec{Email: "user@example.com"}, Billing: billingv1alpha1.BillingAddress{Country: "US"}}}
	if err := env.Client.Create(h.Ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(h.Ctx, h.get("brand")); err != nil {
		t.Fatal(err)
	}
	if res := h.mustRun("brand"); res.RequeueAfter != inUseRecheck {
		t.Fatalf("result %+v; want a recheck after %s while in use", res, inUseRecheck)
	}
	if h.get("brand").DeletionTimestamp.IsZero() {
		t.Fatal("not being deleted")
	}
	if all := h.events(); eventstest.Count(all, "Subscription "+h.NS+"/user") == 0 {
		t.Fatalf("no Event names the user; events %q", all)
	}
	if err := env.Client.Delete(h.Ctx, sub); err != nil {
		t.Fatal(err)
	}
	h.mustRun("brand")
	err := env.Client.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: "brand"}, &billingv1alpha1.DodoAccount{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("account still there once unused: %v", err)
	}
}
