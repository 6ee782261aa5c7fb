package crdtest

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func newSubscription(name string) *billingv1alpha1.Subscription {
	return &billingv1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: billingv1alpha1.SubscriptionSpec{
			ProductID: "pdt_pro",
			Quantity:  2,
			Customer:  billingv1alpha1.CustomerSpec{ID: "cus_42"},
			Billing:   billingv1alpha1.BillingAddress{Country: "DE"},
		},
	}
}

func TestStatusIsASubresource(t *testing.T) {
	ctx := context.Background()
	sub := newSubscription("status-subresource")
	if err := env.Client.Create(ctx, sub); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, sub) })
	generation := sub.Generation

	// Status sent with the main resource is ignored.
	sub.Status.ProviderStatus = "active"
	sub.Spec.Quantity = 3
	if err := env.Client.Update(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if sub.Status.ProviderStatus != "" || sub.Generation != generation+1 {
		t.Fatalf("main update: status %q generation %d; want status ignored and generation %d",
			sub.Status.ProviderStatus, sub.Generation, generation+1)
	}

	// Status written through the subresource is kept and does not bump the generation.
	sub.Status.ProviderStatus = "on_hold"
	sub.Status.ObservedGeneration = sub.Generation
	meta.SetStatusCondition(&sub.Status.Conditions, metav1.Condition{
		Type: billingv1alpha1.ConditionOnHold, Status: metav1.ConditionTrue,
		Reason: "InsufficientFunds", Message: "The renewal payment was declined.", ObservedGeneration: sub.Generation,
	})
	if err := env.Client.Status().Update(ctx, sub); err != nil {
		t.Fatal(err)
	}
	got := &billingv1alpha1.Subscription{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(sub), got); err != nil {
		t.Fatal(err)
	}
	if got.Status.ProviderStatus != "on_hold" || got.Generation != generation+1 ||
		!meta.IsStatusConditionTrue(got.Status.Conditions, billingv1alpha1.ConditionOnHold) {
		t.Fatalf("after status update: %+v (generation %d)", got.Status, got.Generation)
	}

	// A stale resourceVersion conflicts: the base of crash-safe pending markers.
	stale := got.DeepCopy()
	got.Status.CreatePendingSince = ptr.To(metav1.Now())
	if err := env.Client.Status().Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	stale.Status.ProviderStatus = "active"
	if err := env.Client.Status().Update(ctx, stale); err == nil {
		t.Fatal("a status write from a stale copy was accepted; want a conflict")
	}
}

func TestKubectlGetShowsPrinterColumns(t *testing.T) {
	ctx := context.Background()
	sub := newSubscription("printer-columns")
	if err := env.Client.Create(ctx, sub); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, sub) })
	sub.Status.SubscriptionID = "sub_printer"
	sub.Status.CustomerID = "cus_42"
	sub.Status.ProviderStatus = "active"
	// A plan change to the spec's pdt_pro x2 is pending: the columns show what Dodo bills now.
	sub.Status.ProductID, sub.Status.Quantity = "pdt_basic", 1
	sub.Status.NextBillingDate = ptr.To(metav1.NewTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)))
	meta.SetStatusCondition(&sub.Status.Conditions, metav1.Condition{
		Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: billingv1alpha1.ReasonAvailable,
	})
	// Calls to Dodo failing show by default, next to Ready.
	meta.SetStatusCondition(&sub.Status.Conditions, metav1.Condition{
		Type: billingv1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonReconcileError,
	})
	if err := env.Client.Status().Update(ctx, sub); err != nil {
		t.Fatal(err)
	}
	charge := &billingv1alpha1.OnDemandCharge{
		ObjectMeta: metav1.ObjectMeta{Name: "printer-charge", Namespace: "default"},
		Spec: billingv1alpha1.OnDemandChargeSpec{
			SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: "printer-columns"},
			Amount:          2500, Currency: "USD",
		},
	}
	if err := env.Client.Create(ctx, charge); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, charge) })
	charge.Status.Phase = billingv1alpha1.ChargePhaseRetryScheduled
	charge.Status.AttemptCount = 2
	meta.SetStatusCondition(&charge.Status.Conditions, metav1.Condition{
		Type: billingv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "RetryScheduled",
	})
	if err := env.Client.Status().Update(ctx, charge); err != nil {
		t.Fatal(err)
	}

	wide := kubectl(t, "get", "subscriptions.billing.dodo-operator.io", "printer-columns", "-o", "wide")
	assertColumns(t, wide,
		[]string{"NAME", "STATUS", "PRODUCT", "QTY", "NEXT BILLING", "READY", "SYNCED", "AGE", "SUBSCRIPTION ID", "CUSTOMER", "REASON"},
		[]string{"printer-columns", "active", "pdt_basic", "1", "True", "False", "sub_printer", "cus_42", "Available"})
	narrow := kubectl(t, "get", "dsub", "printer-columns")
	if strings.Contains(narrow, "SUBSCRIPTION ID") {
		t.Errorf("wide-only column shown without -o wide:\n%s", narrow)
	}
	charges := kubectl(t, "get", "odc", "printer-charge")
	assertColumns(t, charges, []string{"NAME", "SUBSCRIPTION", "AMOUNT", "CURRENCY", "PHASE", "ATTEMPTS", "NEXT ATTEMPT", "AGE"},
		[]string{"printer-charge", "printer-columns", "2500", "USD", "RetryScheduled", "2"})
	wideCharges := kubectl(t, "get", "odc", "printer-charge", "-o", "wide")
	assertColumns(t, wideCharges,
		[]string{"NAME", "SUBSCRIPTION", "AMOUNT", "CURRENCY", "PHASE", "ATTEMPTS", "NEXT ATTEMPT", "AGE", "REASON", "SYNCED"},
		[]string{"printer-charge", "printer-columns", "2500", "USD", "RetryScheduled", "2", "RetryScheduled"})
	both := kubectl(t, "get", "dodo")
	for _, want := range []string{"subscription.billing.dodo-operator.io/printer-columns", "ondemandcharge.billing.dodo-operator.io/printer-charge"} {
		if !strings.Contains(both, want) {
			t.Errorf("kubectl get dodo does not list %s:\n%s", want, both)
		}
	}
}

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	args = append([]string{"--kubeconfig", env.Kubeconfig, "-n", "default"}, args...)
	out, err := exec.Command(filepath.Join(env.AssetsDir, "kubectl"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func assertColumns(t *testing.T, table string, headers, cells []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a header and one row, got:\n%s", table)
	}
	for _, h := range headers {
		if !strings.Contains(lines[0], h) {
			t.Errorf("header lacks %q:\n%s", h, table)
		}
	}
	row := strings.Fields(lines[1])
	for _, c := range cells {
		if !slices.Contains(row, c) {
			t.Errorf("row lacks %q:\n%s", c, table)
		}
	}
}
