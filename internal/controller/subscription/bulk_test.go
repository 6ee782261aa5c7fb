package subscription

import (
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/bulkobserve"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// withBulk gives the harness's reconciler a bulk observer on its clock.
func withBulk(h *harness) *bulkobserve.Observer {
	o := bulkobserve.New(h.api.Client, h.Clock, bulkobserve.Options{MaxAge: time.Hour})
	h.reconcile.Bulk = o
	return o
}

// resyncInBulk runs the due resync: the first reconcile starts the scan, the second uses it.
func resyncInBulk(t *testing.T, h *harness, o *bulkobserve.Observer, name string) {
	t.Helper()
	h.Clock.Step(70 * time.Minute) // past the 1h resync and its jitter
	if _, err := h.run(name); err != nil {
		t.Fatal(err)
	}
	o.WaitScan()
	if _, err := h.run(name); err != nil {
		t.Fatal(err)
	}
}

func TestBulkResyncWithNothingChangedCallsAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "steady")
	o := withBulk(h)
	before, gets := h.get("steady"), h.api.snapshot()["GetSubscription"]
	resyncInBulk(t, h, o, "steady")
	after := h.get("steady")
	if n := h.api.snapshot()["GetSubscription"]; n != gets {
		t.Errorf("per-object reads: %d, want none (the scan answered)", n-gets)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("status written although nothing changed")
	}
	// The next resync is due one interval after the scan, not at once.
	res, err := h.run("steady")
	if err != nil || res.RequeueAfter < 50*time.Minute {
		t.Errorf("next reconcile = %+v, %v; want the next read about an hour away", res, err)
	}
}

func TestBulkResyncSeesAChangeAndReadsBeforeActing(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "drift")
	o := withBulk(h)
	id := h.get("drift").Status.SubscriptionID
	client := h.api.Client
	sub := h.get("drift")
	edited := stamp.Subscription(map[string]string{"edited": "in the dashboard"}, identityOf(sub))
	if _, err := client.UpdateSubscription(h.Ctx, id, dodo.UpdateSubscriptionRequest{Metadata: edited}); err != nil {
		t.Fatal(err)
	}
	gets := h.api.snapshot()["GetSubscription"]
	resyncInBulk(t, h, o, "drift")
	calls := h.api.snapshot()
	if calls["GetSubscription"] != gets+1 || calls["UpdateSubscription"] != 1 {
		t.Fatalf("calls %v: want one full read (the scan showed a change) and the drift undone", calls)
	}
	got, err := client.GetSubscription(h.Ctx, id)
	if err != nil || got.Metadata["edited"] != "" {
		t.Fatalf("Dodo keeps the edited metadata: %v %v", got.Metadata, err)
	}
}

// A resync served from the scan writes the conditions an object lacks (written by another
// tool or an older version) once, then nothing.
func TestBulkResyncAddsMissingConditionsOnce(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "bare")
	sub := h.get("bare")
	sub.Status.Conditions = nil
	if err := env.Client.Status().Update(h.Ctx, sub); err != nil {
		t.Fatal(err)
	}
	o := withBulk(h)
	resyncInBulk(t, h, o, "bare")
	added := h.get("bare")
	h.expectCondition(added, billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
	h.expectCondition(added, billingv1alpha1.ConditionSynced, "True", billingv1alpha1.ReasonReconcileSuccess)
	resyncInBulk(t, h, o, "bare")
	if again := h.get("bare"); again.ResourceVersion != added.ResourceVersion {
		t.Error("a second resync with nothing changed wrote again")
	}
}
