package ondemandcharge

import (
	"path"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo/dodofake"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
)

func TestChargeSucceedsFirstTime(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("usage", "usage@example.com")
	h.charge("nov", "usage", 2500)
	h.settle("nov")
	c := h.get("nov")
	if c.Status.Phase != billingv1alpha1.ChargePhaseCharging || len(c.Status.Attempts) != 1 || c.Status.Attempts[0].PaymentID == "" {
		t.Fatalf("after the first call: %+v", c.Status)
	}
	h.settleAfter(2*time.Minute, "nov") // the payment settles; no webhook here, so the fallback read decides
	c = h.get("nov")
	h.expectCondition(c, billingv1alpha1.ConditionSucceeded, "True", billingv1alpha1.ReasonCharged)
	h.expectCondition(c, billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonCharged)
	if c.Status.Phase != billingv1alpha1.ChargePhaseSucceeded || c.Status.AttemptCount != 1 || len(h.payments("nov")) != 1 {
		t.Fatalf("final status %+v; payments %d", c.Status, len(h.payments("nov")))
	}
	p := h.payments("nov")[0]
	if p.TotalAmount != 2500 || p.Metadata["retry_attempt"] != "0" || p.Metadata["k8s_name"] != "nov" {
		t.Fatalf("payment %+v", p.Payment)
	}
}

func TestWaitsForTheSubscriptionWithAReason(t *testing.T) {
	h := newHarness(t)
	h.charge("early", "not-yet", 100)
	h.settle("early")
	c := h.get("early")
	h.expectCondition(c, billingv1alpha1.ConditionReady, "False", "SubscriptionNotFound")
	if c.Status.Phase != billingv1alpha1.ChargePhaseWaiting || h.api.Count("Charge") != 0 {
		t.Fatalf("status %+v, charges %d", c.Status, h.api.Count("Charge"))
	}
	h.onDemandSubscription("not-yet", "late@example.com")
	h.settle("early")
	if c := h.get("early"); len(c.Status.Attempts) != 1 {
		t.Fatalf("charge did not start once the subscription was active: %+v", c.Status)
	}
}

func TestHardDeclineFailsAtOnce(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("stolen", "ops+decline_stolen_card@example.com")
	h.chargeAndSettle("c1", "stolen", 900)
	h.settleAfter(30*24*time.Hour, "c1")
	c := h.get("c1")
	h.expectCondition(c, billingv1alpha1.ConditionFailed, "True", "HardDecline")
	if c.Status.Phase != billingv1alpha1.ChargePhaseFailed || len(c.Status.Attempts) != 1 ||
		c.Status.Attempts[0].DeclineCode != "STOLEN_CARD" || h.api.Count("Charge") != 1 || h.api.Count("UpdatePaymentMethod") != 0 {
		t.Fatalf("status %+v", c.Status)
	}
}

func TestSoftDeclineRetriesOnDay3AtTheAnchorTimeThroughTheDues(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("poor", "ops+decline_insufficient_funds@example.com")
	h.chargeAndSettle("c2", "poor", 1200)
	h.refreshSubscription("poor") // the failed charge put the subscription on_hold
	h.settle("c2")
	c := h.get("c2")
	if c.Status.Phase != billingv1alpha1.ChargePhaseRetryScheduled || c.Status.NextAttemptAt == nil {
		t.Fatalf("after a soft decline: %+v", c.Status)
	}
	next := c.Status.NextAttemptAt.UTC()
	day3 := time.Date(2026, 11, 5, 13, 10, 0, 0, time.UTC)
	if next.Before(day3) || next.Sub(day3) >= spreadWindow {
		t.Fatalf("next attempt at %v; want day 3 at the mandate's 13:10 (+ spread)", next)
	}
	h.expectCondition(c, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonRetryScheduled)
	// The controller learned the decline by reading the payment, so it tells it, once.
	told := eventstest.Drain(h.Recorder)
	if n := eventstest.Count(told, "Warning ChargeDeclined Attempt 1 (payment "); n != 1 {
		t.Errorf("%d ChargeDeclined events, want 1: %q", n, told)
	}
	if n := eventstest.Count(told, "Normal RetryScheduled Attempt 1 was declined (INSUFFICIENT_FUNDS)"); n != 1 {
		t.Errorf("%d RetryScheduled events, want 1: %q", n, told)
	}

	// Nothing happens before the due time, whatever wakes the controller.
	h.passTime(next.Sub(h.Clock.Now()) - time.Minute)
	h.settle("c2")
	if n := len(h.get("c2").Status.Attempts); n != 1 {
		t.Fatalf("attempts before due: %d", n)
	}
	h.settleAfter(time.Minute, "c2")
	c = h.get("c2")
	if len(c.Status.Attempts) != 2 || c.Status.Attempts[1].Via != viaDues || !c.Status.Attempts[1].StartedAt.Time.Equal(next) {
		t.Fatalf("second attempt: %+v", c.Status.Attempts)
	}
	h.settleAfter(2*time.Minute, "c2")
	c = h.get("c2")
	// The same soft decline repeated: retries stop, as the guide asks.
	h.expectCondition(c, billingv1alpha1.ConditionFailed, "True", "RepeatedDecline")
	if h.api.Count("Charge") != 1 || h.api.Count("UpdatePaymentMethod") != 1 {
		t.Fatalf("calls: charge %d, dues %d", h.api.Count("Charge"), h.api.Count("UpdatePaymentMethod"))
	}
}

func TestDeclinedChargeSettledByDuesIsNeverChargedAgain(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("fixme", "ops+decline_insufficient_funds@example.com")
	h.chargeAndSettle("c3", "fixme", 700)
	h.refreshSubscription("fixme")
	// The customer adds a good card through the Subscription: Dodo charges the dues.
	sub := h.getSub("fixme")
	sub.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "fix"}}
	if err := env.Client.Update(h.Ctx, sub); err != nil {
		t.Fatal(err)
	}
	h.refreshSubscription("fixme")
	link := h.getSub("fixme").Status.PaymentLink
	if err := h.Sim.CompleteCheckout(path.Base(link), "5555555555554444"); err != nil {
		t.Fatal(err)
	}
	h.passTime(2 * time.Minute)
	h.refreshSubscription("fixme")
	h.settle("c3")
	c := h.get("c3")
	h.expectCondition(c, billingv1alpha1.ConditionSucceeded, "True", billingv1alpha1.ReasonSettledByDues)
	h.settleAfter(30*24*time.Hour, "c3")
	if h.api.Count("Charge") != 1 || h.api.Count("UpdatePaymentMethod") != 0 || len(h.payments("c3")) != 1 {
		t.Fatalf("charged again after the dues: charges %d", h.api.Count("Charge"))
	}
}

func TestOutcomeUnknownChargeIsResolvedByLookup(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("lossy", "lossy@example.com")
	if err := h.Sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{simulator.RouteCharge: {FailAfterCommitRate: 1}}}); err != nil {
		t.Fatal(err)
	}
	h.charge("c4", "lossy", 300)
	h.settle("c4")
	c := h.get("c4")
	if len(c.Status.Attempts) != 1 || c.Status.Attempts[0].PaymentID != "" || c.Status.Attempts[0].Outcome != billingv1alpha1.AttemptPending {
		t.Fatalf("after a lost answer: %+v", c.Status.Attempts)
	}
	h.expectCondition(c, billingv1alpha1.ConditionSynced, "False", billingv1alpha1.ReasonReconcileError)
	_ = h.Sim.SetFaults(simulator.Faults{})
	h.settleAfter(2*time.Minute, "c4")
	h.settleAfter(2*time.Minute, "c4")
	if c = h.expectSucceeded("c4", 1); c.Status.Attempts[0].PaymentID != h.payments("c4")[0].PaymentID {
		t.Fatalf("attempts %+v", c.Status.Attempts)
	}
}

func TestCrashBetweenChargeAndStatusWriteChargesOnce(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("crashy", "crashy@example.com")
	h.charge("c5", "crashy", 400)
	req := ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.NS, Name: "c5"}}
	if _, err := h.charges.Reconcile(h.Ctx, req); err != nil { // adds the finalizer
		t.Fatal(err)
	}
	h.api.CrashAfterNext("Charge")
	if !dodofake.Crashed(func() { _, _ = h.charges.Reconcile(h.Ctx, req) }) {
		t.Fatal("the charge did not crash")
	}
	if c := h.get("c5"); len(c.Status.Attempts) != 1 || c.Status.Attempts[0].PaymentID != "" {
		t.Fatalf("after the crash: %+v", c.Status.Attempts)
	}
	h.charges = h.newReconciler() // a new process, no memory of the first
	h.settleAfter(2*time.Minute, "c5")
	h.settleAfter(2*time.Minute, "c5")
	h.expectSucceeded("c5", 1)
}

func TestDeleteAndRecreateFromTheSameManifestChargesOnce(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("gitops", "gitops@example.com")
	h.chargeAndSettle("dec", "gitops", 1500)
	old := h.get("dec")
	if err := env.Client.Delete(h.Ctx, old); err != nil {
		t.Fatal(err)
	}
	h.settle("dec")
	if err := env.Client.Get(h.Ctx, client.ObjectKeyFromObject(old), old); err == nil {
		t.Fatal("charge not deleted")
	}
	h.charge("dec", "gitops", 1500) // Argo CD Replace: same manifest, new UID
	h.settle("dec")
	// It waits until Dodo's lists can show the deleted object's payment, then continues
	// that history instead of charging again.
	h.expectCondition(h.get("dec"), billingv1alpha1.ConditionReady, "False", "EarlierChargeSettling")
	h.settleAfter(5*time.Minute, "dec")
	h.expectSucceeded("dec", 1) // the re-created charge was not charged again
}

func TestFinalizerIsAddedToAChargeWrittenWithShortDurations(t *testing.T) {
	// Found in the local run: a full update re-encoded "72h" as "72h0m0s" and the
	// immutable-spec rule refused it on every reconcile.
	h := newHarness(t)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "billing.dodo-operator.io/v1alpha1", "kind": "OnDemandCharge",
		"metadata": map[string]any{"name": "yaml", "namespace": h.NS},
		"spec": map[string]any{"subscriptionRef": map[string]any{"name": "none"}, "amount": int64(100),
			"retryPolicy": map[string]any{"maxAttempts": int64(4), "intervals": []any{"72h", "168h", "168h"}}},
	}}
	if err := env.Client.Create(h.Ctx, u); err != nil {
		t.Fatal(err)
	}
	h.settle("yaml")
	c := h.get("yaml")
	if len(c.Finalizers) != 1 || c.Status.Phase != billingv1alpha1.ChargePhaseWaiting {
		t.Fatalf("finalizers %v, phase %q", c.Finalizers, c.Status.Phase)
	}
}

func TestPausedChargeMakesNoCalls(t *testing.T) {
	h := newHarness(t)
	h.onDemandSubscription("calm", "calm@example.com")
	c := &billingv1alpha1.OnDemandCharge{}
	c.Name, c.Namespace = "held", h.NS
	c.Annotations = map[string]string{billingv1alpha1.AnnotationPaused: "true"}
	c.Spec = billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: "calm"}, Amount: 100}
	if err := env.Client.Create(h.Ctx, c); err != nil {
		t.Fatal(err)
	}
	h.settle("held")
	h.settleAfter(time.Hour, "held")
	got := h.get("held")
	h.expectCondition(got, billingv1alpha1.ConditionSynced, "False", billingv1alpha1.ReasonPaused)
	if h.api.Count("Charge") != 0 || len(got.Status.Attempts) != 0 {
		t.Fatalf("a paused charge was charged: %+v", got.Status)
	}
	delete(got.Annotations, billingv1alpha1.AnnotationPaused)
	if err := env.Client.Update(h.Ctx, got); err != nil {
		t.Fatal(err)
	}
	h.settle("held")
	if h.api.Count("Charge") != 1 {
		t.Fatal("unpausing did not start the charge")
	}
}

func TestPaymentIDSurvivesAnotherWriteDuringTheReconcile(t *testing.T) {
	// Another writer changes the object between the charge call and the reconcile's status
	// write: the receiver recording the outcome (found by the payment's stamp), or Argo CD
	// labelling it. The ID the call returned must not be dropped for a lookup, and what the
	// other writer wrote must stay.
	writers := map[string]func(*billingv1alpha1.OnDemandCharge, string) bool{
		"the webhook receiver": func(c *billingv1alpha1.OnDemandCharge, paymentID string) bool {
			last := &c.Status.Attempts[len(c.Status.Attempts)-1]
			last.PaymentID, last.Outcome = paymentID, billingv1alpha1.AttemptSucceeded
			return true
		},
		"a label from Argo CD": func(c *billingv1alpha1.OnDemandCharge, _ string) bool {
			c.Labels = map[string]string{"app.kubernetes.io/instance": "billing"}
			return false
		},
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.onDemandSubscription("raced", "raced@example.com")
			h.charge("raced-c", "raced", 700)
			listsBefore := 0 // the charge's look at earlier payments under its key, before its first call
			h.api.AfterNext("Charge", func() {
				listsBefore = h.api.Count("ListAllPayments")
				got := h.get("raced-c")
				var err error
				if write(got, h.payments("raced-c")[0].PaymentID) {
					err = env.Client.Status().Update(h.Ctx, got)
				} else {
					err = env.Client.Update(h.Ctx, got)
				}
				if err != nil {
					t.Error(err)
				}
			})
			h.settle("raced-c")
			c := h.get("raced-c")
			if len(c.Status.Attempts) != 1 || c.Status.Attempts[0].PaymentID != h.payments("raced-c")[0].PaymentID {
				t.Fatalf("status after the race: %+v", c.Status)
			}
			if n := h.api.Count("ListAllPayments") - listsBefore; n != 0 || h.api.Count("Charge") != 1 || len(h.payments("raced-c")) != 1 {
				t.Fatalf("looked the payment up %d times; %d charge calls, %d payments", n, h.api.Count("Charge"), len(h.payments("raced-c")))
			}
		})
	}
}
