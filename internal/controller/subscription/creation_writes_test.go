package subscription

import (
	"context"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// TestANewSubscriptionCostsOneUpdateAndTwoStatusWrites: the finalizer, the marker stored
// before the create (money safety), then one write with the ID, Dodo's view and the
// conditions (issue 17: the ID is no longer a write of its own).
func TestANewSubscriptionCostsOneUpdateAndTwoStatusWrites(t *testing.T) {
	h := newHarness(t)
	var updates, statusWrites atomic.Int32
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	h.reconcile.Client = interceptor.NewClient(base, interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			updates.Add(1)
			return c.Patch(ctx, obj, patch, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			updates.Add(1)
			return c.Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch,
			opts ...client.SubResourcePatchOption) error {
			statusWrites.Add(1)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			statusWrites.Add(1)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	h.subscription("lean")
	h.settle("lean")
	got := h.get("lean")
	if got.Status.SubscriptionID == "" || got.Status.ProviderStatus != "active" || got.Status.CreatePendingSince != nil {
		t.Fatalf("status: %+v", got.Status)
	}
	h.expectCondition(got, billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
	if u, s := updates.Load(), statusWrites.Load(); u != 1 || s != 2 {
		t.Fatalf("writes: %d updates, %d status writes; want 1 and 2", u, s)
	}
	if c, r := h.api.Count("CreateSubscription"), h.api.Count("GetSubscription"); c != 1 || r != 1 {
		t.Fatalf("calls: %v", h.api.Counts())
	}
}

// TestCreatedIDIsStoredWhenTheSpecChangesDuringTheCreate: the reconcile's end write
// conflicts with a spec change and a receiver write made while the create was in flight;
// it is laid over the stored copy anyway (the ID is a fact, not a decision), so nothing
// has to be looked up and nothing is created twice.
func TestCreatedIDIsStoredWhenTheSpecChangesDuringTheCreate(t *testing.T) {
	h := newHarness(t)
	sub := h.subscription("edited")
	h.api.AfterNext("CreateSubscription", func() {
		got := h.get("edited")
		got.Spec.Quantity = 2
		if err := env.Client.Update(h.Ctx, got); err != nil {
			t.Error(err)
		}
		got.Status.RecentWebhookIDs = []string{"msg_receiver"}
		if err := env.Client.Status().Update(h.Ctx, got); err != nil {
			t.Error(err)
		}
	})
	if _, err := h.run("edited"); err != nil {
		t.Fatal(err)
	}
	got := h.get("edited")
	if got.Status.SubscriptionID == "" || got.Status.CreatePendingSince != nil || len(got.Status.RecentWebhookIDs) != 1 {
		t.Fatalf("status after the create: %+v", got.Status)
	}
	h.settle("edited")
	if n := h.api.Count("ListAllSubscriptions"); n != 0 || len(h.simSubscriptions(sub)) != 1 ||
		h.api.Count("CreateSubscription") != 1 {
		t.Fatalf("lookups %d, simulator subscriptions %d, calls %v", n, len(h.simSubscriptions(sub)), h.api.Counts())
	}
}
