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
	"github.com/dodo-operator/dodo-operator/test/testenv"
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
	got, err := stored(sub)
	if err != nil || got.Status.ProviderStatus != "active" {
		t.Fatalf("status not written: %+v %v", got.Status, err)
	}
}

func TestPatchFromAStaleCopyConflictsQuietly(t *testing.T) {
	ctx := context.Background()
	sub, stale, ours := activeOverOnHold(t, "patch-stale")
	res, err := Patch(ctx, env.Client, stale, ours, stale.Status, ours.Status, ctrl.Result{}, nil)
	if err != nil || res.RequeueAfter != conflictRequeue {
		t.Fatalf("stale patch: %v %v; want a quiet requeue", res, err)
	}
	got := expectOnHoldKept(t, sub)
	conflict := apierrors.NewConflict(schema.GroupResource{}, "x", errors.New("changed"))
	if res, err := Patch(ctx, env.Client, got, got, got.Status, got.Status, ctrl.Result{}, conflict); err != nil || res.RequeueAfter != conflictRequeue {
		t.Fatalf("a reconcile conflict was not turned into a requeue: %v %v", res, err)
	}
}

func TestPatchRebasingLaysTheWriteOverTheStoredCopy(t *testing.T) {
	ctx := context.Background()
	sub := newSubscription(t, "patch-rebase")
	stale := writeAsAnother(t, sub, func(s *billingv1alpha1.SubscriptionStatus) { s.RecentWebhookIDs = []string{"msg_1"} })
	ours := stale.DeepCopy()
	ours.Status.ObservedGeneration = 1
	calls := 0
	rebase := func(ctx context.Context) (client.Object, client.Object, bool, error) {
		calls++
		fresh := &billingv1alpha1.Subscription{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(sub), fresh); err != nil {
			return nil, nil, false, err
		}
		next := fresh.DeepCopy()
		next.Status.ObservedGeneration = ours.Status.ObservedGeneration
		return fresh, next, true, nil
	}
	res, err := PatchRebasing(ctx, env.Client, stale, ours, stale.Status, ours.Status, ctrl.Result{RequeueAfter: time.Hour}, nil, rebase)
	if err != nil || res.RequeueAfter != time.Hour || calls != 1 {
		t.Fatalf("rebased patch: %v %v after %d rebases; want the reconcile's own result after 1", res, err, calls)
	}
	got, err := stored(sub)
	if err != nil ||
		got.Status.ObservedGeneration != 1 || len(got.Status.RecentWebhookIDs) != 1 {
		t.Fatalf("want both writers' fields: %+v %v", got.Status, err)
	}
}

func TestPatchRebasingGivesUpOrFailsAsTheRebaseSays(t *testing.T) {
	ctx := context.Background()
	sub, stale, ours := activeOverOnHold(t, "patch-rebase-give-up")
	giveUp := func(context.Context) (client.Object, client.Object, bool, error) { return nil, nil, false, nil }
	if res, err := PatchRebasing(ctx, env.Client, stale, ours, stale.Status, ours.Status, ctrl.Result{}, nil, giveUp); err != nil ||
		res.RequeueAfter != conflictRequeue {
		t.Fatalf("a rebase that gives up: %v %v; want a quiet requeue", res, err)
	}
	broken := errors.New("reading the stored copy: connection refused")
	failing := func(context.Context) (client.Object, client.Object, bool, error) { return nil, nil, false, broken }
	if _, err := PatchRebasing(ctx, env.Client, stale, ours, stale.Status, ours.Status, ctrl.Result{}, nil, failing); !errors.Is(err, broken) {
		t.Fatalf("a failing rebase: %v; want its error", err)
	}
	expectOnHoldKept(t, sub)
}

func TestStoreNowRetriesAConflictFromTheStoredCopy(t *testing.T) {
	ctx := context.Background()
	sub := newSubscription(t, "store-now")
	writeAsAnother(t, sub, func(s *billingv1alpha1.SubscriptionStatus) { s.RecentWebhookIDs = []string{"msg_1"} }) // the receiver writes after sub was read
	tries := 0
	stored, err := StoreNow(ctx, env.Client, env.Client, sub, func(s *billingv1alpha1.Subscription) (bool, error) {
		tries++
		s.Status.SubscriptionID = "sub_1"
		return true, nil
	})
	if err != nil || tries != 2 || stored.Status.SubscriptionID != "sub_1" || len(stored.Status.RecentWebhookIDs) != 1 {
		t.Fatalf("StoreNow: %v after %d tries, stored %+v; want both writers' fields after 2 tries", err, tries, stored.Status)
	}
	unchanged := stored.ResourceVersion
	again, err := StoreNow(ctx, env.Client, env.Client, stored, func(*billingv1alpha1.Subscription) (bool, error) { return false, nil })
	if err != nil || again.ResourceVersion != unchanged {
		t.Fatalf("a change that needs no write wrote: %v, resourceVersion %s -> %s", err, unchanged, again.ResourceVersion)
	}
}

func TestEnteredReason(t *testing.T) {
	refused := []metav1.Condition{{Type: "Synced", Reason: "CredentialsInvalid"}}
	fine := []metav1.Condition{{Type: "Synced", Reason: "ReconcileSuccess"}}
	cases := map[string]struct {
		before, after []metav1.Condition
		want          bool
	}{
		"Entered":         {fine, refused, true},
		"EnteredFromNone": {nil, refused, true},
		"Stayed":          {refused, refused, false},
		"Left":            {refused, fine, false},
		"Absent":          {fine, nil, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := EnteredReason(tc.before, tc.after, "Synced", "CredentialsInvalid"); got != tc.want {
				t.Fatalf("EnteredReason = %v, want %v", got, tc.want)
			}
		})
	}
}

// writeAsAnother writes status as another writer (the webhook receiver) would, through a
// copy of sub, and returns sub as it was: now a stale copy.
func writeAsAnother(t *testing.T, sub *billingv1alpha1.Subscription,
	change func(*billingv1alpha1.SubscriptionStatus)) *billingv1alpha1.Subscription {
	t.Helper()
	stale, other := sub.DeepCopy(), sub.DeepCopy()
	change(&other.Status)
	if err := env.Client.Status().Update(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	return stale
}

// activeOverOnHold is the race the conflict tests start from: another writer stored
// on_hold after sub was read; stale is sub as read, ours the reconcile's copy of it that
// wants active.
func activeOverOnHold(t *testing.T, name string) (sub, stale, ours *billingv1alpha1.Subscription) {
	t.Helper()
	sub = newSubscription(t, name)
	stale = writeAsAnother(t, sub, func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus = "on_hold" })
	ours = stale.DeepCopy()
	ours.Status.ProviderStatus = "active"
	return sub, stale, ours
}

// expectOnHoldKept fails the test unless the API server still holds the other writer's
// on_hold, and returns what it holds.
func expectOnHoldKept(t *testing.T, sub *billingv1alpha1.Subscription) *billingv1alpha1.Subscription {
	t.Helper()
	got, err := stored(sub)
	if err != nil || got.Status.ProviderStatus != "on_hold" {
		t.Fatalf("the other writer's status was overwritten: %+v %v", got.Status, err)
	}
	return got
}

// stored is sub as the API server holds it.
func stored(sub *billingv1alpha1.Subscription) (*billingv1alpha1.Subscription, error) {
	got := &billingv1alpha1.Subscription{}
	return got, env.Client.Get(context.Background(), client.ObjectKeyFromObject(sub), got)
}
