package statuspatch

import (
	"context"
	"errors"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.RunMain(m, &env) }

func newSubscription(t *testing.T, name string) *billingv1alpha1.Subscription {
	t.Helper()
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-", Namespace: "default"},
		Spec: billingv1alpha1.SubscriptionSpec{ProductID: "p", Quantity: 1, Customer: billingv1alpha1.CustomerSpec{ID: "c"},
			Billing: billingv1alpha1.BillingAddress{Country: "US"}}}
	if err := env.Client.Create(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestPatchWritesChangesAndSkipsNoOps(t *testing.T) {
	ctx := context.Background()
	sub := newSubscription(t, "patch-writes")
	before := sub.DeepCopy()
	res, err := Patch(ctx, env.Client, before, sub, before.Status, sub.Status, ctrl.Result{RequeueAfter: time.Hour}, nil)
	if err != nil || res.RequeueAfter != time.Hour || sub.ResourceVersion != before.ResourceVersion {
		t.Fatalf("no-op patch: %v %v, resourceVersion %s -> %s", res, err, before.ResourceVersion, sub.ResourceVersion)
	}
	sub.Status.ProviderStatus = "active"
	if _, err := Patch(ctx, env.Client, before, sub, before.Status, sub.Status, ctrl.Result{}, nil); err != nil {
		t.Fatal(err)
	}
	got := &billingv1alpha1.Subscription{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(sub), got); err != nil || got.Status.ProviderStatus != "active" {
		t.Fatalf("status not written: %+v %v", got.Status, err)
	}
}

func TestPatchFromAStaleCopyConflictsQuietly(t *testing.T) {
	ctx := context.Background()
	sub := newSubscription(t, "patch-stale")
	stale := sub.DeepCopy()
	other := sub.DeepCopy()
	other.Status.ProviderStatus = "on_hold" // another writer (the webhook receiver)
	if err := env.Client.Status().Update(ctx, other); err != nil {
		t.Fatal(err)
	}
	stale2 := stale.DeepCopy()
	stale2.Status.ProviderStatus = "active"
	res, err := Patch(ctx, env.Client, stale, stale2, stale.Status, stale2.Status, ctrl.Result{}, nil)
	if err != nil || res.RequeueAfter != conflictRequeue {
		t.Fatalf("stale patch: %v %v; want a quiet requeue", res, err)
	}
	got := &billingv1alpha1.Subscription{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(sub), got); err != nil || got.Status.ProviderStatus != "on_hold" {
		t.Fatalf("the other writer's status was overwritten: %+v", got.Status)
	}
	conflict := apierrors.NewConflict(schema.GroupResource{}, "x", errors.New("changed"))
	if res, err := Patch(ctx, env.Client, got, got, got.Status, got.Status, ctrl.Result{}, conflict); err != nil || res.RequeueAfter != conflictRequeue {
		t.Fatalf("a reconcile conflict was not turned into a requeue: %v %v", res, err)
	}
}
