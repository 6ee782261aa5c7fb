package webhookreceiver

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// controllerPatch writes the controller's own fields the way the controller does: a merge
// patch of status with an optimistic lock, computed from base.
func controllerPatch(ctx context.Context, base *billingv1alpha1.Subscription, observedAt metav1.Time) error {
	sub := base.DeepCopy()
	sub.Status.ObservedGeneration = sub.Generation
	sub.Status.LastObservedAt = &observedAt
	meta.SetStatusCondition(&sub.Status.Conditions, metav1.Condition{Type: billingv1alpha1.ConditionReady,
		Status: metav1.ConditionTrue, Reason: billingv1alpha1.ReasonAvailable, Message: "in sync"})
	return env.Client.Status().Patch(ctx, sub, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

func (f *fixture) assertBothWritersKept(name string) {
	f.t.Helper()
	st := f.subscription(name).Status
	assertEqual(f.t, "controller's lastObservedAt", st.LastObservedAt != nil, true)
	assertEqual(f.t, "controller's subscriptionID", st.SubscriptionID, "sub_"+name)
	assertEqual(f.t, "receiver's providerStatus", st.ProviderStatus, "on_hold")
	assertEqual(f.t, "receiver's OnHold", conditionOf(st.Conditions, billingv1alpha1.ConditionOnHold), "True/PaymentFailed")
	assertEqual(f.t, "receiver's remembered id", len(st.RecentWebhookIDs), 1)
}

// TestControllerPatchBetweenReceiverReadAndWrite: the controller patches status after the
// receiver read the object and before it writes; the receiver's update conflicts, it reads
// again and writes again, and neither loses the other's fields.
func TestControllerPatchBetweenReceiverReadAndWrite(t *testing.T) {
	var updates atomic.Int32
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	var f *fixture
	interleaved := interceptor.NewClient(base, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if updates.Add(1) == 1 {
				current := f.subscription(obj.GetName())
				if err := controllerPatch(ctx, current, metav1.NewTime(testStart)); err != nil {
					t.Errorf("controller patch: %v", err)
				}
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	f = newFixture(t, func(o *Options) { o.Client = interleaved })
	obj := f.createSubscription("interleaved")
	f.recordSubscriptionID("interleaved", "sub_interleaved")
	body := envelope(t, dodo.EventSubscriptionOnHold, testStart, subscriptionData("sub_interleaved", dodo.SubscriptionStatusOnHold, stampOf(obj)))
	f.mustDeliver("msg_interleaved", body, http.StatusOK)
	assertEqual(t, "status updates (one conflict, one retry)", updates.Load(), int32(2))
	f.assertBothWritersKept("interleaved")
	// The controller had written Ready=True; the receiver, writing last, sets it as the
	// controller's next reconcile would (providerstate.SetReadyAfterEvent).
	assertEqual(t, "Ready after on_hold", conditionOf(f.subscription("interleaved").Status.Conditions,
		billingv1alpha1.ConditionReady), "False/PaymentFailed")
}

// TestReceiverWriteBetweenControllerReadAndPatch: the receiver writes after the controller
// read; the controller's optimistic patch conflicts, it reads again and patches again.
func TestReceiverWriteBetweenControllerReadAndPatch(t *testing.T) {
	f := newFixture(t)
	obj := f.createSubscription("racing")
	f.recordSubscriptionID("racing", "sub_racing")
	stale := f.subscription("racing")
	body := envelope(t, dodo.EventSubscriptionOnHold, testStart, subscriptionData("sub_racing", dodo.SubscriptionStatusOnHold, stampOf(obj)))
	f.mustDeliver("msg_racing", body, http.StatusOK)

	err := controllerPatch(f.ctx, stale, metav1.NewTime(testStart))
	assertEqual(t, "the controller's stale patch conflicts", apierrors.IsConflict(err), true)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := &billingv1alpha1.Subscription{}
		if err := env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: "racing"}, current); err != nil {
			return err
		}
		return controllerPatch(f.ctx, current, metav1.NewTime(testStart))
	})
	assertEqual(t, "the controller's retry", err, nil)
	f.assertBothWritersKept("racing")
}
